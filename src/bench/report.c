#define _GNU_SOURCE
#include "report.h"
#include "cg_json.h"
#include "util.h"

#include <string.h>

double row_class_target(enum row_class class)
{
	return class == CLASS_ARMED ? 1.03 : 1.01;
}

double row_target(const struct row *row)
{
	return row->target > 0 ? row->target : row_class_target(row->class);
}

const char *row_class_name(enum row_class class)
{
	static const char *const names[] = {
		[CLASS_PLAIN] = "plain", [CLASS_ARMED] = "armed", [CLASS_FAULT] = "fault",
	};

	return (unsigned)class < sizeof(names) / sizeof(names[0]) ? names[class] : "?";
}

void report_table_header(const struct report *r, FILE *out)
{
	fprintf(out, "collapse-bench: kernel %s, %zu-byte pages, %.2f s per row in %d batches"
		" (ns/op: median of the batches)\n\n",
		r->kernel, page_size, r->opts->row_seconds, r->opts->batches);
	fprintf(out, "%-27s %12s %8s %9s  %s\n", "row", "ns/op", "spread", "reps", "what");
	fflush(out);
}

void report_table_row(const struct row_result *rr, FILE *out)
{
	const struct measurement *m = &rr->m;

	if (!m->ok) {
		fprintf(out, "%-27s %12s %8s %9s  %s: %s\n", rr->row->name, "ERROR", "-", "-",
			rr->row->what, m->error);
	} else {
		char reps[32];
		double spread = m->median_ns > 0 ? 100 * (m->max_ns - m->min_ns) / m->median_ns : 0;

		snprintf(reps, sizeof(reps), "%dx%ld", m->batches, m->reps);
		fprintf(out, "%-27s %12.1f %7.2f%% %9s  %s\n", rr->row->name, m->median_ns,
			spread, reps, rr->row->what);
	}
	fflush(out);
}

void report_granularity(const struct report *r, FILE *out)
{
	if (!r->n_gran)
		return;
	fprintf(out, "\ngranularity: %d extents with holes (256 of 512 pages), extent %d armed"
		" MISSING through its own mapping,\ncollapse asked for through another mapping of"
		" the whole file (map: C collapsed, . not, A armed with its holes, Z armed"
		" zero-filled)\n\n", GRAN_EXTENTS, GRAN_ARMED);
	fprintf(out, "%-14s %-16s %-8s %s\n", "path", "other collapsed", "map", "detail");
	for (size_t i = 0; i < r->n_gran; i++) {
		const struct gran_result *g = &r->gran[i];
		char frac[32];

		if (!g->ok) {
			fprintf(out, "%-14s %-16s %-8s %s\n", gran_path_name(g->path), "ERROR", "-",
				g->error);
			continue;
		}
		snprintf(frac, sizeof(frac), "%d/%d", g->other_collapsed, g->other_total);
		if (g->path == GRAN_MADV_COLLAPSE) {
			fprintf(out, "%-14s %-16s %-8s one call over the file: %s\n",
				gran_path_name(g->path), frac, g->map,
				g->madv_errno ? errno_name(g->madv_errno) : "0");
			snprintf(frac, sizeof(frac), "%d/%d", g->each_other_collapsed, g->other_total);
			fprintf(out, "%-14s %-16s %-8s then a call per extent left\n",
				"  per extent", frac, g->each_map);
		} else {
			fprintf(out, "%-14s %-16s %-8s %ld full scans in %.2f s%s\n",
				gran_path_name(g->path), frac, g->map, g->full_scans, g->waited_s,
				g->timed_out ? " (timed out)" : "");
		}
	}
	fflush(out);
}

static void json_row(struct cg_json *j, const struct row_result *rr)
{
	const struct measurement *m = &rr->m;

	cg_json_newline(j, 4);
	cg_json_object(j, NULL);
	cg_json_string(j, "name", rr->row->name);
	cg_json_string(j, "what", rr->row->what);
	cg_json_string(j, "class", row_class_name(rr->row->class));
	cg_json_double(j, "target", "%g", row_target(rr->row));
	cg_json_bool(j, "ok", m->ok);
	if (!m->ok) {
		cg_json_string(j, "error", m->error);
		cg_json_end(j);
		return;
	}
	cg_json_double(j, "ns_per_op", "%.1f", m->median_ns);
	cg_json_double(j, "min_ns", "%.1f", m->min_ns);
	cg_json_double(j, "max_ns", "%.1f", m->max_ns);
	cg_json_int(j, "reps_per_batch", m->reps);
	cg_json_int(j, "batches", m->batches);
	cg_json_double(j, "wall_s", "%.3f", m->wall_s);
	cg_json_array(j, "batch_ns");
	for (int b = 0; b < m->batches; b++)
		cg_json_double(j, NULL, "%.1f", m->batch_ns[b]);
	cg_json_end(j);
	cg_json_end(j);
}

static void json_gran(struct cg_json *j, const struct gran_result *g)
{
	cg_json_newline(j, 4);
	cg_json_object(j, NULL);
	cg_json_string(j, "path", gran_path_name(g->path));
	cg_json_int(j, "extents", GRAN_EXTENTS);
	cg_json_int(j, "armed_extent", GRAN_ARMED);
	cg_json_bool(j, "ok", g->ok);
	if (!g->ok) {
		cg_json_string(j, "error", g->error);
		cg_json_end(j);
		return;
	}
	cg_json_int(j, "other_collapsed", g->other_collapsed);
	cg_json_int(j, "other_total", g->other_total);
	cg_json_bool(j, "armed_collapsed", g->armed_collapsed);
	cg_json_string(j, "map", g->map);
	if (g->path == GRAN_MADV_COLLAPSE) {
		cg_json_string(j, "madv_errno", g->madv_errno ? errno_name(g->madv_errno) : "0");
		cg_json_int(j, "each_other_collapsed", g->each_other_collapsed);
		cg_json_bool(j, "each_armed_collapsed", g->each_armed_collapsed);
		cg_json_string(j, "each_map", g->each_map);
	} else {
		cg_json_int(j, "full_scans", g->full_scans);
		cg_json_double(j, "waited_s", "%.3f", g->waited_s);
		cg_json_bool(j, "timed_out", g->timed_out);
	}
	cg_json_end(j);
}

int report_json(const struct report *r, FILE *out)
{
	struct cg_json j;

	cg_json_report_begin(&j, out, true, "collapse-bench");
	cg_json_newline(&j, 2);
	cg_json_uint(&j, "page_size", page_size);
	cg_json_newline(&j, 2);
	cg_json_double(&j, "row_seconds", "%.3f", r->opts->row_seconds);
	cg_json_newline(&j, 2);
	cg_json_int(&j, "batches", r->opts->batches);
	cg_json_newline(&j, 2);
	cg_json_double(&j, "total_s", "%.3f", r->total_s);
	cg_json_newline(&j, 2);
	cg_json_array(&j, "rows");
	for (size_t i = 0; i < r->n_rows; i++)
		json_row(&j, &r->rows[i]);
	cg_json_newline(&j, 2);
	cg_json_end(&j);
	cg_json_newline(&j, 2);
	cg_json_array(&j, "granularity");
	for (size_t i = 0; i < r->n_gran; i++)
		json_gran(&j, &r->gran[i]);
	cg_json_newline(&j, 2);
	cg_json_end(&j);
	cg_json_newline(&j, 0);
	return cg_json_finish(&j);
}
