/*
 * guard-model: explore every interleaving of bounded scenarios of a shmem
 * THP collapse racing with userfaultfd MISSING registration, faults, the
 * pager (fault-driven and background UFFDIO_COPY), an lseek/mincore
 * observer, fork, exit and munmap, for eight designs of the collapse guard
 * and their variants and ablations.
 *
 *   guard-model            the table, counterexamples, then the self-tests
 *   guard-model --test     the self-tests only (TAP)
 *   guard-model --design N the table and counterexamples of design N only
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cg_tap.h"
#include "model.h"

static struct cg_tap tap_out;

static void tap(bool ok, const char *description, const char *detail)
{
	cg_tap_line(&tap_out, ok, description);
	if (detail && *detail)
		cg_tap_diag(&tap_out, "%s", detail);
}

static const struct row *row_of(const struct row *rows, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].d->id, id))
			return &rows[i];
	fprintf(stderr, "guard-model: no design %s\n", id);
	exit(2);
}

static bool refuses(const struct row *r, int sc)
{
	return r->r[sc].f[P_NOREFUSE].found;
}

static bool collapses(const struct row *r, int sc)
{
	return !r->r[sc].f[P_NOREFUSE].found && r->r[sc].committed_somewhere;
}

/* The shortest counterexample of @p over all scenarios: its length and
 * scenario, or 0 if the property holds. */
static int shortest(const struct row *r, enum prop p, const char **where)
{
	int len = 0;

	*where = "-";
	for (int s = 0; s < NR_SCEN; s++) {
		const struct finding *f = &r->r[s].f[p];

		if (f->found && (!len || f->len < len)) {
			len = f->len;
			*where = scenarios[s]->id;
		}
	}
	return len;
}

static bool breaks(const struct row *r, enum prop p)
{
	const char *where;

	return shortest(r, p, &where) > 0;
}

static bool collapses_everywhere(const struct row *r)
{
	return collapses(r, S_BELOW) && collapses(r, S_ABOVE) &&
	       collapses(r, S_FULL);
}

static bool gives_up_somewhere(const struct row *r)
{
	for (int s = 0; s < NR_SCEN; s++)
		if (r->r[s].gave_up_somewhere)
			return true;
	return false;
}

/* Issue 10: v1 breaks each new property, upstream and v2 keep them all. */
static void issue10_tests(const struct row *rows, int n)
{
	static const enum prop props[] = { P_EEXIST, P_WAIT, P_OBSERVED };
	static const char *const short_name[] = {
		[P_EEXIST] = "eexist",
		[P_WAIT] = "wait",
		[P_OBSERVED] = "observed",
	};
	const struct row *r5 = row_of(rows, n, "5"), *r6 = row_of(rows, n, "6");
	const struct row *r7 = row_of(rows, n, "7"), *r8 = row_of(rows, n, "8");
	char det[200];
	size_t o = 0;
	bool ok = true;

	for (size_t k = 0; k < sizeof(props) / sizeof(props[0]); k++) {
		const char *where;
		int len = shortest(r5, props[k], &where);

		ok = ok && len > 0;
		o += snprintf(det + o, sizeof(det) - o, "%s%s: %d steps (%s)",
			      k ? ", " : "", short_name[props[k]], len, where);
	}
	tap(ok,
	    "design 5 (v1) breaks each property of issue 10 with a shortest "
	    "counterexample",
	    det);

	tap(row_invisible(r6) && gives_up_somewhere(r6),
	    "design 6 (upstream) keeps the properties of issue 10 and gives up "
	    "when a hole is filled meanwhile",
	    NULL);

	snprintf(det, sizeof(det), "%lu + %lu states (race + pager)",
		 r7->r[S_RACE].states, r7->r[S_PAGER].states);
	tap(row_safe(r7) && !breaks(r7, P_STRICT) && row_invisible(r7) &&
		    r7->r[S_RACE].committed_somewhere &&
		    r7->r[S_PAGER].committed_somewhere && gives_up_somewhere(r7),
	    "design 7 (v2) passes safety, strict and the properties of issue 10, "
	    "commits, and gives up when a hole is filled meanwhile",
	    det);

	snprintf(det, sizeof(det), "below/above/full: 7 %s/%s/%s",
		 refuses(r7, S_BELOW) ? "refuses" : "collapses",
		 refuses(r7, S_ABOVE) ? "refuses" : "collapses",
		 refuses(r7, S_FULL) ? "refuses" : "collapses");
	tap(collapses_everywhere(r7),
	    "design 7 (v2) is precise: collapses below and above an armed "
	    "extent, and a fully populated armed one",
	    det);

	{
		const struct row *norecheck = row_of(rows, n, "7-norecheck");
		const struct row *split = row_of(rows, n, "7-split");
		const struct row *noreg = row_of(rows, n, "7-noreg");
		const struct row *late = row_of(rows, n, "7-late");

		snprintf(det, sizeof(det),
			 "norecheck: safety %s; split: safety %s; noreg: safety "
			 "%s; late: observed %s",
			 row_safe(norecheck) ? "holds" : "fails",
			 row_safe(split) ? "holds" : "fails",
			 row_safe(noreg) ? "holds" : "fails",
			 breaks(late, P_OBSERVED) ? "fails" : "holds");
		tap(!row_safe(norecheck) && !row_safe(split) &&
			    !row_safe(noreg) && breaks(late, P_OBSERVED),
		    "design 7's ablations fail: without the hole recheck, with "
		    "i_mmap_rwsem dropped before the store, with registrations "
		    "outside i_mmap_rwsem, with the copy after the commit",
		    det);
	}

	tap(row_safe(r8) && row_invisible(r8) && collapses_everywhere(r8) &&
		    !row_safe(row_of(rows, n, "8-noretry")),
	    "design 8 (v2 without the count) passes safety and the properties "
	    "of issue 10 and is precise; without its retry entries it fails",
	    NULL);
}

static int self_tests(const struct row *rows, int n)
{
	char msg[200], det[200];

	cg_tap_start(&tap_out, stdout, 0);
	for (int k = 1; k <= 3; k++) {
		char id[12];
		const struct row *r;
		const struct finding *f;

		snprintf(id, sizeof(id), "%d", k);
		r = row_of(rows, n, id);
		f = &r->r[S_RACE].f[P_ZEROFILL];
		snprintf(msg, sizeof(msg),
			 "design %s (%s) fails safety with a counterexample", id,
			 r->d->name);
		snprintf(det, sizeof(det), "shortest counterexample: %d steps",
			 f->found ? f->len : 0);
		tap(!row_safe(r) && f->found && f->len > 0, msg, det);
	}
	for (int k = 4; k <= 6; k++) {
		char id[12];
		const struct row *r;
		bool ok;

		snprintf(id, sizeof(id), "%d", k);
		r = row_of(rows, n, id);
		ok = row_safe(r) && r->r[S_RACE].committed_somewhere &&
		     r->r[S_ONE].committed_somewhere;
		snprintf(msg, sizeof(msg),
			 "design %s (%s) passes safety and still commits", id,
			 r->d->name);
		snprintf(det, sizeof(det), "%lu + %lu states (race + one-vma)",
			 r->r[S_RACE].states, r->r[S_ONE].states);
		if (k == 5) {
			const struct row *a = row_of(rows, n, "5-nofork");
			const struct row *b = row_of(rows, n, "5-early");
			const struct row *c = row_of(rows, n, "5-short");

			/* not vacuous: the same scenarios catch a design 5
			 * missing one of its pieces */
			ok = ok && !row_safe(a) && !row_safe(b) && !row_safe(c);
			snprintf(msg, sizeof(msg),
				 "design 5 (%s) passes safety and still commits; "
				 "its ablations fail",
				 r->d->name);
		}
		tap(ok, msg, det);
	}
	{
		const struct row *r4 = row_of(rows, n, "4");
		const struct row *r5 = row_of(rows, n, "5");
		const struct row *r6 = row_of(rows, n, "6");
		bool ok = refuses(r4, S_BELOW) && refuses(r4, S_ABOVE) &&
			  collapses(r5, S_BELOW) && collapses(r5, S_ABOVE) &&
			  refuses(r6, S_BELOW) && collapses(r6, S_ABOVE);

		snprintf(det, sizeof(det),
			 "below/above: 4 %s/%s, 5 %s/%s, 6 %s/%s",
			 refuses(r4, S_BELOW) ? "refuses" : "collapses",
			 refuses(r4, S_ABOVE) ? "refuses" : "collapses",
			 refuses(r5, S_BELOW) ? "refuses" : "collapses",
			 refuses(r5, S_ABOVE) ? "refuses" : "collapses",
			 refuses(r6, S_BELOW) ? "refuses" : "collapses",
			 refuses(r6, S_ABOVE) ? "refuses" : "collapses");
		tap(ok,
		    "precision: 4 refuses extents no armed VMA maps, 5 does not; "
		    "6 refuses the extent just below an armed one, 5 does not",
		    det);
	}
	issue10_tests(rows, n);
	cg_tap_end(&tap_out);
	printf("%zu passed, %zu failed\n", tap_out.passed, tap_out.failed);
	return tap_out.failed ? 1 : 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: guard-model [--test] [--design ID]\n"
		"  (no option)  table, counterexamples, then the self-tests\n"
		"  --test       self-tests only, as TAP, ending 'N passed, N failed'\n"
		"  --design ID  table and counterexamples of one design (1..8, "
		"5-drop, 5-nofork, 5-early, 5-short,\n"
		"               7-norecheck, 7-split, 7-noreg, 7-late, "
		"8-noretry)\n");
}

int main(int argc, char **argv)
{
	bool test_only = false;
	const char *only = NULL;
	struct row *rows;
	struct timespec t0, t1;
	double wall;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--test") || !strcmp(argv[i], "--tap")) {
			test_only = true;
		} else if (!strcmp(argv[i], "--design") && i + 1 < argc) {
			only = argv[++i];
			if (!design_by_id(only)) {
				fprintf(stderr, "guard-model: no design %s\n", only);
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rows = calloc(nr_designs, sizeof(*rows));
	if (!rows)
		return 2;
	run_rows(designs, rows, nr_designs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (!test_only) {
		const struct row *sel = rows;
		int nsel = nr_designs;

		if (only) {
			sel = row_of(rows, nr_designs, only);
			nsel = 1;
		}
		printf("guard-model: shmem THP collapse vs userfaultfd MISSING, "
		       "exhaustive breadth-first search\n\n");
		report_scenarios(stdout);
		report_table(stdout, sel, nsel);
		report_invisible_table(stdout, sel, nsel);
		report_states(stdout, sel, nsel);
		report_counterexamples(stdout, sel, nsel);
		printf("explored in %.2f s (wall)\n", wall);
		if (!only)
			printf("\nSelf-tests:\n");
	}
	if (!only)
		rc = self_tests(rows, nr_designs);
	for (int i = 0; i < nr_designs; i++)
		row_free(&rows[i]);
	free(rows);
	return rc;
}
