#define _GNU_SOURCE
#include "report.h"
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
	switch (class) {
	case CLASS_PLAIN:	return "plain";
	case CLASS_ARMED:	return "armed";
	case CLASS_FAULT:	return "fault";
	}
	return "?";
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

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void json_row(FILE *out, const struct row_result *rr)
{
	const struct measurement *m = &rr->m;

	fputs("    {\"name\": ", out);
	json_string(out, rr->row->name);
	fputs(", \"what\": ", out);
	json_string(out, rr->row->what);
	fprintf(out, ", \"class\": \"%s\", \"target\": %g", row_class_name(rr->row->class),
		row_target(rr->row));
	if (!m->ok) {
		fputs(", \"ok\": false, \"error\": ", out);
		json_string(out, m->error);
		fputs("}", out);
		return;
	}
	fprintf(out, ", \"ok\": true, \"ns_per_op\": %.1f, \"min_ns\": %.1f, \"max_ns\": %.1f"
		", \"reps_per_batch\": %ld, \"batches\": %d, \"wall_s\": %.3f, \"batch_ns\": [",
		m->median_ns, m->min_ns, m->max_ns, m->reps, m->batches, m->wall_s);
	for (int b = 0; b < m->batches; b++)
		fprintf(out, "%s%.1f", b ? ", " : "", m->batch_ns[b]);
	fputs("]}", out);
}

static void json_gran(FILE *out, const struct gran_result *g)
{
	fprintf(out, "    {\"path\": \"%s\", \"extents\": %d, \"armed_extent\": %d, \"ok\": %s",
		gran_path_name(g->path), GRAN_EXTENTS, GRAN_ARMED, g->ok ? "true" : "false");
	if (!g->ok) {
		fputs(", \"error\": ", out);
		json_string(out, g->error);
		fputs("}", out);
		return;
	}
	fprintf(out, ", \"other_collapsed\": %d, \"other_total\": %d, \"armed_collapsed\": %s"
		", \"map\": \"%s\"", g->other_collapsed, g->other_total,
		g->armed_collapsed ? "true" : "false", g->map);
	if (g->path == GRAN_MADV_COLLAPSE)
		fprintf(out, ", \"madv_errno\": \"%s\", \"each_other_collapsed\": %d"
			", \"each_armed_collapsed\": %s, \"each_map\": \"%s\"",
			g->madv_errno ? errno_name(g->madv_errno) : "0", g->each_other_collapsed,
			g->each_armed_collapsed ? "true" : "false", g->each_map);
	else
		fprintf(out, ", \"full_scans\": %ld, \"waited_s\": %.3f, \"timed_out\": %s",
			g->full_scans, g->waited_s, g->timed_out ? "true" : "false");
	fputs("}", out);
}

int report_json(const struct report *r, FILE *out)
{
	fputs("{\n  \"tool\": \"collapse-bench\",\n  \"kernel\": ", out);
	json_string(out, r->kernel);
	fprintf(out, ",\n  \"page_size\": %zu,\n  \"row_seconds\": %.3f,\n  \"batches\": %d,\n"
		"  \"total_s\": %.3f,\n  \"rows\": [\n", page_size, r->opts->row_seconds,
		r->opts->batches, r->total_s);
	for (size_t i = 0; i < r->n_rows; i++) {
		json_row(out, &r->rows[i]);
		fputs(i + 1 < r->n_rows ? ",\n" : "\n", out);
	}
	fputs("  ],\n  \"granularity\": [\n", out);
	for (size_t i = 0; i < r->n_gran; i++) {
		json_gran(out, &r->gran[i]);
		fputs(i + 1 < r->n_gran ? ",\n" : "\n", out);
	}
	fputs("  ]\n}\n", out);
	return fflush(out) || ferror(out) ? -1 : 0;
}
