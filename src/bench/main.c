/*
 * collapse-bench: what the collapse guard costs, and how finely it refuses.
 *
 * Times the paths that the series touches (MADV_COLLAPSE, userfaultfd
 * registration, VMA lifecycle) and the fault paths it leaves alone, one row
 * each, then measures the granularity of the refusal for MADV_COLLAPSE and
 * khugepaged. Bounded everywhere: a watchdog ends the run.
 */
#define _GNU_SOURCE
#include "cg_output.h"
#include "granularity.h"
#include "cg_exit_guard.h"
#include "measure.h"
#include "report.h"
#include "rows.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_ROW_SECONDS 0.4
#define DEFAULT_BATCHES 5
#define DEFAULT_KHUGEPAGED_TIMEOUT 60
#define DEFAULT_TIMEOUT 1800

struct options {
	struct measure_opts measure;
	const char *json_out;
	const char *only;	/* comma-separated row names, or NULL */
	int granularity;	/* 0 none, 1 both paths */
	int rows;		/* 0: granularity only */
	double khugepaged_timeout_s;
	unsigned timeout_s;
};

static const struct {
	const struct row *rows;
	const size_t *n;
} row_sets[] = {
	{ collapse_rows, &n_collapse_rows },
	{ vma_rows, &n_vma_rows },
	{ fault_rows, &n_fault_rows },
};
#define N_ROW_SETS (sizeof(row_sets) / sizeof(row_sets[0]))

/* SIGALRM: the run took too long; the THP knobs go back (exit guard) first. */
static void on_watchdog(int sig)
{
	static const char msg[] = "collapse-bench: watchdog: the run took too long, giving up\n";

	(void)sig;
	cg_exit_guard_run();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to tell */
	}
	_exit(3);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: collapse-bench [options]\n"
		"  --json-out FILE        write the results as JSON to FILE\n"
		"  --row-seconds S        timed seconds per row, all batches (default %.1f)\n"
		"  --batches N            batches per row, the median is reported (default %d)\n"
		"  --only ROW[,ROW...]    run only these rows (--list shows them)\n"
		"  --no-granularity       skip the granularity runs\n"
		"  --granularity-only     run only the granularity runs\n"
		"  --khugepaged-timeout S bound of the khugepaged wait (default %d)\n"
		"  --timeout S            watchdog for the whole run (default %d)\n"
		"  --list                 list the rows and exit\n"
		"  --verbose              progress on stderr\n"
		"Needs root for the khugepaged run (THP sysfs knobs, restored afterwards).\n"
		"Exit: 0 every row and run measured, 1 some failed, 2 usage, 3 watchdog.\n",
		DEFAULT_ROW_SECONDS, DEFAULT_BATCHES, DEFAULT_KHUGEPAGED_TIMEOUT, DEFAULT_TIMEOUT);
}

static bool selected(const struct options *o, const char *name)
{
	size_t len = strlen(name);

	if (!o->only)
		return true;
	for (const char *p = o->only; *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, name, n))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

static double parse_positive(const char *arg, const char *what)
{
	char *end;
	double value = strtod(arg, &end);

	if (*end || !(value > 0)) {
		fprintf(stderr, "collapse-bench: %s: not a positive number: %s\n", what, arg);
		exit(2);
	}
	return value;
}

static void parse(int argc, char **argv, struct options *o)
{
	enum { O_JSON = 256, O_ROWSEC, O_BATCHES, O_ONLY, O_NOGRAN, O_GRANONLY, O_KTIMEOUT,
	       O_TIMEOUT, O_LIST, O_VERBOSE, O_HELP };
	static const struct option longopts[] = {
		{ "json-out", required_argument, NULL, O_JSON },
		{ "row-seconds", required_argument, NULL, O_ROWSEC },
		{ "batches", required_argument, NULL, O_BATCHES },
		{ "only", required_argument, NULL, O_ONLY },
		{ "no-granularity", no_argument, NULL, O_NOGRAN },
		{ "granularity-only", no_argument, NULL, O_GRANONLY },
		{ "khugepaged-timeout", required_argument, NULL, O_KTIMEOUT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "list", no_argument, NULL, O_LIST },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char why[160];
	int opt;

	*o = (struct options){
		.measure = { DEFAULT_ROW_SECONDS, DEFAULT_BATCHES },
		.granularity = 1, .rows = 1,
		.khugepaged_timeout_s = DEFAULT_KHUGEPAGED_TIMEOUT,
		.timeout_s = DEFAULT_TIMEOUT,
	};
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case O_JSON:
			if (cg_json_out_check(optarg, why, sizeof(why))) {
				fprintf(stderr, "collapse-bench: %s\n", why);
				exit(2);
			}
			o->json_out = optarg;
			break;
		case O_ROWSEC: o->measure.row_seconds = parse_positive(optarg, "--row-seconds"); break;
		case O_BATCHES:
			o->measure.batches = (int)parse_positive(optarg, "--batches");
			if (o->measure.batches > MAX_BATCHES) {
				fprintf(stderr, "collapse-bench: --batches: at most %d\n", MAX_BATCHES);
				exit(2);
			}
			break;
		case O_ONLY: o->only = optarg; break;
		case O_NOGRAN: o->granularity = 0; break;
		case O_GRANONLY: o->rows = 0; break;
		case O_KTIMEOUT:
			o->khugepaged_timeout_s = parse_positive(optarg, "--khugepaged-timeout");
			break;
		case O_TIMEOUT: o->timeout_s = (unsigned)parse_positive(optarg, "--timeout"); break;
		case O_VERBOSE: verbose = true; break;
		case O_LIST:
			for (size_t s = 0; s < N_ROW_SETS; s++)
				for (size_t i = 0; i < *row_sets[s].n; i++)
					printf("%-27s %s <= %g: %s\n", row_sets[s].rows[i].name,
					       row_class_name(row_sets[s].rows[i].class),
					       row_target(&row_sets[s].rows[i]),
					       row_sets[s].rows[i].what);
			exit(0);
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static struct row_result results[64];
	struct report rep = { 0 };
	struct options o;
	uint64_t start = now_ns();
	int status = 0;
	long ps = sysconf(_SC_PAGESIZE);

	parse(argc, argv, &o);
	if (ps > 0)
		page_size = (size_t)ps;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The THP knobs go back at exit and on every fatal signal. */
	cg_exit_guard_install(0);
	signal(SIGALRM, on_watchdog);
	alarm(o.timeout_s);

	snprintf(rep.kernel, sizeof(rep.kernel), "%s", cg_kernel_release());
	rep.opts = &o.measure;
	rep.rows = results;
	report_table_header(&rep, stdout);
	for (size_t s = 0; o.rows && s < N_ROW_SETS; s++) {
		for (size_t i = 0; i < *row_sets[s].n; i++) {
			const struct row *row = &row_sets[s].rows[i];
			struct row_result *rr;

			if (!selected(&o, row->name) || rep.n_rows == sizeof(results) / sizeof(results[0]))
				continue;
			rr = &results[rep.n_rows++];
			rr->row = row;
			measure_row(row, &o.measure, &rr->m);
			report_table_row(rr, stdout);
			status |= !rr->m.ok;
		}
	}
	if (o.granularity) {
		granularity_run(GRAN_MADV_COLLAPSE, o.khugepaged_timeout_s, &rep.gran[rep.n_gran++]);
		granularity_run(GRAN_KHUGEPAGED, o.khugepaged_timeout_s, &rep.gran[rep.n_gran++]);
		for (size_t i = 0; i < rep.n_gran; i++)
			status |= !rep.gran[i].ok;
		report_granularity(&rep, stdout);
	}
	rep.total_s = (double)(now_ns() - start) / 1e9;
	printf("\ntotal %.2f s\n", rep.total_s);

	if (o.json_out) {
		FILE *out = fopen(o.json_out, "we");

		if (!out || report_json(&rep, out)) {
			fprintf(stderr, "collapse-bench: cannot write %s: %s\n", o.json_out,
				errno_name(errno));
			status = 1;
		}
		if (out)
			fclose(out);
	}
	alarm(0);
	return status;
}
