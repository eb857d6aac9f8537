/*
 * collapse-check: does THP collapse of shmem respect userfaultfd MISSING
 * registrations? Runs every selected scenario on every selected memory type
 * under every selected path.
 */
#define _GNU_SOURCE
#include "cg_knob_hold.h"
#include "cg_output.h"
#include "cg_thp_knobs.h"
#include "cli.h"
#include "kmsg.h"
#include "lifecycle.h"
#include "outcome.h"
#include "report.h"
#include "steps.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The rows of the column's memory type get `verdict` with why. */
static void mark_column(struct result *column, size_t stride, const struct options *o,
			enum memory_type memory, const struct collapse_path *path,
			enum verdict verdict, const char *why)
{
	for (size_t row = 0; row < o->n_rows; row++) {
		struct result *r = &column[row * stride];

		if (o->rows[row].memory != memory)
			continue;
		memset(r, 0, sizeof(*r));
		r->scenario = o->rows[row].scenario->name;
		r->kind = o->rows[row].scenario->kind;
		r->memory = memory_name(memory);
		r->path = path->name;
		r->verdict = verdict;
		r->control = N_VERDICTS;
		r->hole_kept = r->event = TRI_NULL;
		format_into(r->detail, sizeof(r->detail), "%s: %s", path->name, why);
	}
}

static int kmsg_fd = -1;

/* One cell, with the kernel log of its time looked at under --kmsg. */
static void run_cell(const struct scenario *s, enum memory_type memory,
		     const struct collapse_path *path, long timeout_ms, struct result *r)
{
	if (kmsg_fd >= 0)
		kmsg_skip(kmsg_fd);
	scenario_run(s, memory, path, timeout_ms, r);
	if (kmsg_fd >= 0 && kmsg_judge(kmsg_fd, r))
		note("%s/%s/%s: kernel log: %s", s->name, r->memory, path->name, r->detail);
}

/* Why MADV_COLLAPSE of the no-uffd control failed with EINVAL. */
static void explain_madv_einval(char *why, size_t size)
{
	char shmem_enabled[32] = "";

	cg_knob_read(CG_THP_DIR "/shmem_enabled", shmem_enabled, sizeof(shmem_enabled));
	if (!strcmp(shmem_enabled, "deny"))
		format_into(why, size, "MADV_COLLAPSE of shmem refused by shmem_enabled=deny"
			    " (EINVAL on no-uffd); the khugepaged path sets advise for its run");
	else
		format_into(why, size, "MADV_COLLAPSE not supported by this kernel"
			    " (EINVAL on no-uffd, shmem_enabled=%s)",
			    shmem_enabled[0] ? shmem_enabled : "?");
}

/*
 * The no-uffd control runs first for every memory type of every column,
 * selected or not: a path that does not collapse even without userfaultfd
 * proves nothing. Returns false when the rows of that memory type were
 * filled with SKIP/ERROR instead.
 */
static bool probe_path(const struct options *o, enum memory_type memory,
		       const struct collapse_path *path, struct result *column, size_t stride,
		       struct result *probe)
{
	char why[256];
	int usable = memory_column_begin(memory, why, sizeof(why));

	if (usable) {
		mark_column(column, stride, o, memory, path,
			    usable == -2 ? VERDICT_SKIP : VERDICT_ERROR, why);
		return false;
	}
	run_cell(scenario_find(NO_UFFD_SCENARIO), memory, path, o->timeout_ms, probe);
	if (probe->verdict == VERDICT_COLLAPSED)
		return true;
	if (probe->verdict == VERDICT_ERROR) {
		format_into(why, sizeof(why), "no-uffd control broken: %s", probe->detail);
		mark_column(column, stride, o, memory, path, VERDICT_ERROR, why);
		return false;
	}
	/* Only madv_collapse records an errno. */
	if (probe->madv_errno[0]) {
		if (strcmp(probe->madv_errno, "EINVAL"))
			return true;	/* a real refusal: report every row honestly */
		explain_madv_einval(why, sizeof(why));
	} else {
		format_into(why, sizeof(why),
			    "no collapse of the no-uffd control on %s within %g s (%s)",
			    memory_name(memory), o->timeout_ms / 1000.0, probe->detail);
	}
	mark_column(column, stride, o, memory, path, VERDICT_SKIP, why);
	return false;
}

/* A column is a path; within it, the rows of each memory type after their probe. */
static void run_column(const struct options *o, const struct collapse_path *path,
		       struct result *column, size_t stride)
{
	static struct result probe;
	char why[256] = "";

	if (path->column_begin(why, sizeof(why))) {
		for (size_t m = 0; m < o->n_memories; m++)
			mark_column(column, stride, o, o->memories[m], path, VERDICT_SKIP, why);
		return;
	}
	for (size_t m = 0; m < o->n_memories; m++) {
		enum memory_type memory = o->memories[m];

		if (!probe_path(o, memory, path, column, stride, &probe))
			continue;
		for (size_t row = 0; row < o->n_rows; row++) {
			const struct scenario *s = o->rows[row].scenario;

			if (o->rows[row].memory != memory)
				continue;
			if (!strcmp(s->name, NO_UFFD_SCENARIO))
				column[row * stride] = probe;
			else
				run_cell(s, memory, path, o->timeout_ms, &column[row * stride]);
		}
	}
	if (path->column_end)
		path->column_end();
}

/* The report on stdout and in --json-out; a write error makes the status 2 unless 1. */
static int write_reports(const struct options *o, const struct report *report,
			 struct cg_output *json_file, int status)
{
	char why[PATH_MAX + 64];
	int err;

	switch (o->format) {
	case OUTPUT_TABLE: report_table(stdout, report); break;
	case OUTPUT_TAP:   report_tap(stdout, report); break;
	case OUTPUT_JSON:  report_json(stdout, report); break;
	}
	if (json_file->stream) {
		report_json(json_file->stream, report);
		if (cg_output_close(json_file, why, sizeof(why))) {
			fprintf(stderr, "collapse-check: --json-out: %s\n", why);
			status = status ? status : EXIT_USAGE;
		}
	}
	err = cg_stdout_close();
	if (err) {
		fprintf(stderr, "collapse-check: cannot write the report to stdout: %s\n",
			strerror(-err));
		status = status ? status : EXIT_USAGE;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct options o;
	struct result *results;
	const char *path_names[MAX_PATHS];
	struct cg_output json_file = { .stream = NULL };
	char why[PATH_MAX + 64];
	struct report report;
	int status;

	parse_options(argc, argv, &o);
	if (o.list) {
		print_list();
		return 0;
	}
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	/* First: the clean-ups of what follows run at exit and on signals. */
	lifecycle_init();
	/* Knobs a killed run left changed would skew even the madv_collapse column. */
	if (geteuid() == 0)
		cg_knobs_recover_if_free();
	if (o.json_out && cg_output_open(&json_file, o.json_out, why, sizeof(why))) {
		fprintf(stderr, "collapse-check: --json-out: %s\n", why);
		return EXIT_USAGE;
	}
	results = o.n_rows && o.n_paths ? calloc(o.n_rows * o.n_paths, sizeof(*results)) : NULL;
	if (!results) {
		fprintf(stderr, "collapse-check: out of memory\n");
		return EXIT_USAGE;
	}
	if (o.kmsg) {
		kmsg_fd = kmsg_open();
		if (kmsg_fd < 0) {
			fprintf(stderr, "collapse-check: --kmsg: cannot read /dev/kmsg: %s\n",
				strerror(errno));
			free(results);
			return EXIT_USAGE;
		}
	}

	for (size_t c = 0; c < o.n_paths; c++) {
		path_names[c] = o.paths[c]->name;
		run_column(&o, o.paths[c], &results[c], o.n_paths);
	}

	report = (struct report){
		.kernel = cg_kernel_release(),
		.timeout_ms = o.timeout_ms,
		.path_names = path_names,
		.n_paths = o.n_paths,
		.results = results,
		.n_rows = o.n_rows,
	};
	status = write_reports(&o, &report, &json_file,
			       results_exit_status(results, o.n_rows * o.n_paths));
	free(results);
	return status;
}
