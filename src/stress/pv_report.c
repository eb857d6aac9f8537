#define _GNU_SOURCE
#include "pv_report.h"
#include "cg_json.h"
#include "cg_tap.h"
#include "report.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static bool sample_worthy(const struct pv_round *r)
{
	return pv_eexist_for_hole(r) || pv_hole_seen_then_filled(r) || r->content_bad ||
	       r->judge_disagrees;
}

void pv_tally_round(struct pv_tally *t, const struct pv_round *r)
{
	t->rounds++;
	t->pinned_rounds += r->pinned;
	t->collapse_errno[collapse_result_of(r->collapse_err)]++;
	t->committed += pv_committed(r);
	if (r->register_err) {
		t->errors++;
	} else {
		int64_t start = (int64_t)(r->collapse_start_abs - r->go_abs_ns);

		if (pv_registered_during_collapse(r))
			t->registered_during++;
		else if (r->register_end < start)
			t->registered_before++;
		else
			t->registered_after++;
		t->seen_hole_seek += r->seek_saw_hole;
		t->seen_hole_mincore += r->mincore_saw_hole;
		t->seen_hole += r->seek_saw_hole || r->mincore_saw_hole;
		if (r->copy_err == 0)
			t->copy_ok++;
		else if (r->copy_err == EEXIST)
			t->copy_eexist++, t->copy_eexist_data_after += !r->copied_hole_after;
		else
			t->copy_other++;
	}
	if (pv_eexist_for_hole(r)) {
		t->eexist_for_hole++;
		t->eexist_for_hole_pinned += r->pinned;
	}
	if (pv_hole_seen_then_filled(r)) {
		t->hole_seen_then_filled++;
		t->hole_seen_then_filled_pinned += r->pinned;
		t->hole_seen_then_filled_seek += r->seek_saw_hole;
		t->hole_seen_then_filled_mincore += r->mincore_saw_hole;
	}
	t->content_errors += r->content_bad;
	t->judge_disagreements += r->judge_disagrees;
	if (sample_worthy(r) && t->nsamples < PV_MAX_SAMPLES)
		t->samples[t->nsamples++] = *r;
}

static bool could_judge(const struct pv_tally *t)
{
	return !t->stuck && !t->errors && !t->judge_disagreements && t->registered_during > 0;
}

int pv_exit_code(const struct pv_tally *t)
{
	if (t->eexist_for_hole || t->hole_seen_then_filled || t->content_errors)
		return 1;
	return could_judge(t) ? 0 : 2;
}

static const char *result_name(int rc)
{
	return cg_row_verdict_name(rc == 0 ? CG_ROW_PASS : rc == 1 ? CG_ROW_FAIL : CG_ROW_ERROR);
}

static double us(int64_t ns)
{
	return (double)ns / 1000;
}

static const char *sample_kind(const struct pv_round *r)
{
	if (pv_eexist_for_hole(r))
		return "eexist-for-hole";
	if (pv_hole_seen_then_filled(r))
		return "hole-seen-then-filled";
	if (r->content_bad)
		return "content";
	return "judge-disagrees";
}

static const char *hole_or_data(bool hole)
{
	return hole ? "hole" : "data";
}

/* One line per sample; prefix "# " for TAP. */
static void print_sample(const char *prefix, const struct pv_round *r)
{
	int64_t cs = (int64_t)(r->collapse_start_abs - r->go_abs_ns);
	int64_t ce = (int64_t)(r->collapse_end_abs - r->go_abs_ns);

	printf("%s  round %lu extent %d%s, %s: MADV_COLLAPSE %s [%.0f, %.0f] us; register "
	       "[%.0f, %.0f] us; page %u after it: lseek %s, mincore %s (at %.0f us); "
	       "UFFDIO_COPY page %u: %s (at %.0f us); afterwards page %u %s, page %u %s, "
	       "%ld of %ld holes left%s%s\n", prefix, r->number, r->extent,
	       r->pinned ? " (pinned)" : "", sample_kind(r),
	       errno_name(r->collapse_err), us(cs), us(ce), us(r->register_start),
	       us(r->register_end), r->observed, hole_or_data(r->seek_saw_hole),
	       hole_or_data(r->mincore_saw_hole), us(r->observed_at), r->copied,
	       errno_name(r->copy_err), us(r->copy_end), r->observed,
	       hole_or_data(r->observed_hole_after), r->copied,
	       hole_or_data(r->copied_hole_after), r->holes_after, r->holes_before,
	       r->content_bad ? "; " : "", r->content_bad ? r->content_detail : "");
}

void pv_trace_round(const struct pv_round *r)
{
	fprintf(stderr, "pager-view: round %lu%s%s delay %.0f us: MADV_COLLAPSE %s [%.0f, %.0f] "
		"us, pin at %.0f, register [%.0f, %.0f], observed %s/%s at %.0f, copy %s at %.0f; after: "
		"observed %s, copied %s, %ld holes%s%s\n", r->number, r->pinned ? " pinned" : "",
		r->early ? " early" : "", us((int64_t)r->delay_ns), errno_name(r->collapse_err),
		us((int64_t)(r->collapse_start_abs - r->go_abs_ns)),
		us((int64_t)(r->collapse_end_abs - r->go_abs_ns)),
		r->pinned ? us(r->pinned_at) : -1.0, us(r->register_start),
		us(r->register_end), hole_or_data(r->seek_saw_hole),
		hole_or_data(r->mincore_saw_hole), us(r->observed_at), errno_name(r->copy_err),
		us(r->copy_end), hole_or_data(r->observed_hole_after),
		hole_or_data(r->copied_hole_after), r->holes_after,
		sample_worthy(r) ? " <- " : "", sample_worthy(r) ? sample_kind(r) : "");
}

/* The body of the text report; TAP gets it as diagnostics. */
static void print_summary(const char *p, const struct options *o, const struct pv_tally *t)
{
	char limit[32] = "no round limit";

	if (o->rounds)
		snprintf(limit, sizeof(limit), "at most %d rounds", o->rounds);
	printf("%scollapse-stress --pager-view: kernel %s, %lu rounds (%lu with a pinned "
	       "page) in %.1f s (%s, %d s), %d extents, seed %" PRIu64 "\n", p,
	       cg_kernel_release(), t->rounds, t->pinned_rounds, (double)t->elapsed_ms / 1000,
	       limit, o->seconds, PV_EXTENTS, o->seed);
	printf("%scalibration: %lu collapses without a registration, %lu committed, %.0f us "
	       "each; delays after the collapse started drawn from [0, %.0f] us (last)\n", p,
	       t->calibration_rounds, t->calibration_committed, us((int64_t)t->calibration_ns),
	       us((int64_t)t->window_ns));
	printf("%scalibration MADV_COLLAPSE:", p);
	for (int i = 0; i < CR_NR; i++)
		printf(" %s %lu", collapse_result_names[i], t->calibration_errno[i]);
	printf("\n");
	printf("%sregistration returned before MADV_COLLAPSE %lu, during %lu, after %lu; "
	       "failed %lu\n", p, t->registered_before, t->registered_during,
	       t->registered_after, t->errors);
	printf("%sMADV_COLLAPSE:", p);
	for (int i = 0; i < CR_NR; i++)
		printf(" %s %lu", collapse_result_names[i], t->collapse_errno[i]);
	printf("; by the page cache: committed %lu, not committed %lu\n", t->committed,
	       t->rounds - t->committed);
	printf("%sUFFDIO_COPY into a hole: ok %lu, EEXIST %lu (data afterwards %lu, hole "
	       "afterwards %lu), other %lu\n", p, t->copy_ok, t->copy_eexist,
	       t->copy_eexist_data_after, t->copy_eexist - t->copy_eexist_data_after,
	       t->copy_other);
	printf("%sobserved page seen as a hole after registering: %lu (lseek %lu, mincore "
	       "%lu)\n", p, t->seen_hole, t->seen_hole_seek, t->seen_hole_mincore);
	printf("%scounter 1, EEXIST for an index that is a hole afterwards: %lu (pinned "
	       "rounds %lu)\n", p, t->eexist_for_hole, t->eexist_for_hole_pinned);
	printf("%scounter 2, seen as a hole after registering, then filled: %lu (pinned "
	       "rounds %lu; lseek %lu, mincore %lu)\n", p, t->hole_seen_then_filled,
	       t->hole_seen_then_filled_pinned, t->hole_seen_then_filled_seek,
	       t->hole_seen_then_filled_mincore);
	printf("%scontent errors %lu, lseek/mincore disagreements %lu, rounds skipped "
	       "(odd pages not holes) %lu, internal errors %lu%s\n", p, t->content_errors,
	       t->judge_disagreements, t->layout_skips, t->errors,
	       t->stuck ? " (STUCK: MADV_COLLAPSE did not return)" : "");
	for (unsigned i = 0; i < t->nsamples; i++)
		print_sample(p, &t->samples[i]);
}

static void print_tap(const struct options *o, const struct pv_tally *t)
{
	char what[160];
	struct cg_tap tap;

	cg_tap_start(&tap, stdout, 0);
	fflush(stdout);
	print_summary("# ", o, t);
	snprintf(what, sizeof(what), "pager-view: no EEXIST for an index that is a hole "
		 "afterwards (%lu of %lu rounds)", t->eexist_for_hole, t->rounds);
	cg_tap_line(&tap, !t->eexist_for_hole, what);
	snprintf(what, sizeof(what), "pager-view: no hole seen after registering is filled "
		 "(%lu of %lu rounds)", t->hole_seen_then_filled, t->rounds);
	cg_tap_line(&tap, !t->hole_seen_then_filled, what);
	snprintf(what, sizeof(what), "pager-view: content intact (%lu rounds with a bad page)",
		 t->content_errors);
	cg_tap_line(&tap, !t->content_errors, what);
	snprintf(what, sizeof(what), "pager-view: the check could judge (%lu registrations "
		 "returned during MADV_COLLAPSE, %lu disagreements, %lu errors%s)",
		 t->registered_during, t->judge_disagreements, t->errors, t->stuck ? ", stuck" : "");
	cg_tap_line(&tap, could_judge(t), what);
	cg_tap_diag(&tap, "Totals: pass:%zu fail:%zu xfail:0 xpass:0 skip:0 error:0", tap.passed,
		    tap.failed);
	cg_tap_end(&tap);
}

/* {"name": count, ...} of MADV_COLLAPSE's results. */
static void json_collapse_counts(struct cg_json *j, const char *key, const unsigned long *counts)
{
	cg_json_object(j, key);
	for (int i = 0; i < CR_NR; i++)
		cg_json_uint(j, collapse_result_names[i], counts[i]);
	cg_json_end(j);
}

static void json_us_pair(struct cg_json *j, const char *key, double from, double to)
{
	cg_json_array(j, key);
	cg_json_double(j, NULL, "%.1f", from);
	cg_json_double(j, NULL, "%.1f", to);
	cg_json_end(j);
}

static void json_sample(struct cg_json *j, const struct pv_round *r)
{
	cg_json_object(j, NULL);
	cg_json_uint(j, "round", r->number);
	cg_json_bool(j, "pinned", r->pinned);
	cg_json_string(j, "kind", sample_kind(r));
	cg_json_string(j, "collapse", errno_name(r->collapse_err));
	json_us_pair(j, "collapse_us", us((int64_t)(r->collapse_start_abs - r->go_abs_ns)),
		     us((int64_t)(r->collapse_end_abs - r->go_abs_ns)));
	json_us_pair(j, "register_us", us(r->register_start), us(r->register_end));
	cg_json_uint(j, "observed", r->observed);
	cg_json_string(j, "lseek", hole_or_data(r->seek_saw_hole));
	cg_json_string(j, "mincore", hole_or_data(r->mincore_saw_hole));
	cg_json_uint(j, "copied", r->copied);
	cg_json_string(j, "copy", errno_name(r->copy_err));
	cg_json_string(j, "observed_after", hole_or_data(r->observed_hole_after));
	cg_json_string(j, "copied_after", hole_or_data(r->copied_hole_after));
	cg_json_int(j, "holes_after", r->holes_after);
	cg_json_string(j, "detail", r->content_detail);
	cg_json_end(j);
}

static void pv_json(struct cg_json *j, const struct options *o, const struct pv_tally *t, int rc)
{
	cg_json_string(j, "mode", "pager-view");
	cg_json_int(j, "seconds", o->seconds);
	cg_json_int(j, "rounds_limit", o->rounds);
	cg_json_int(j, "elapsed_ms", t->elapsed_ms);
	cg_json_uint(j, "seed", o->seed);
	cg_json_int(j, "extents", PV_EXTENTS);
	cg_json_int(j, "pinned_one_in", o->pinned_one_in);
	cg_json_uint(j, "rounds", t->rounds);
	cg_json_uint(j, "pinned_rounds", t->pinned_rounds);
	cg_json_object(j, "calibration");
	cg_json_uint(j, "rounds", t->calibration_rounds);
	cg_json_uint(j, "committed", t->calibration_committed);
	cg_json_double(j, "collapse_us", "%.0f", us((int64_t)t->calibration_ns));
	json_collapse_counts(j, "madv_collapse", t->calibration_errno);
	cg_json_end(j);
	cg_json_double(j, "window_us", "%.0f", us((int64_t)t->window_ns));
	cg_json_object(j, "registered");
	cg_json_uint(j, "before", t->registered_before);
	cg_json_uint(j, "during", t->registered_during);
	cg_json_uint(j, "after", t->registered_after);
	cg_json_end(j);
	cg_json_uint(j, "registered_during_collapse", t->registered_during);
	json_collapse_counts(j, "madv_collapse", t->collapse_errno);
	cg_json_uint(j, "committed", t->committed);
	cg_json_uint(j, "not_committed", t->rounds - t->committed);
	cg_json_object(j, "copy");
	cg_json_uint(j, "ok", t->copy_ok);
	cg_json_uint(j, "eexist", t->copy_eexist);
	cg_json_uint(j, "eexist_data_after", t->copy_eexist_data_after);
	cg_json_uint(j, "other", t->copy_other);
	cg_json_end(j);
	cg_json_object(j, "seen_hole");
	cg_json_uint(j, "either", t->seen_hole);
	cg_json_uint(j, "lseek", t->seen_hole_seek);
	cg_json_uint(j, "mincore", t->seen_hole_mincore);
	cg_json_end(j);
	cg_json_uint(j, "eexist_hole_after", t->eexist_for_hole);
	cg_json_uint(j, "hole_seen_then_filled", t->hole_seen_then_filled);
	cg_json_object(j, "hole_seen_then_filled_by");
	cg_json_uint(j, "lseek", t->hole_seen_then_filled_seek);
	cg_json_uint(j, "mincore", t->hole_seen_then_filled_mincore);
	cg_json_end(j);
	cg_json_object(j, "pinned");
	cg_json_uint(j, "eexist_hole_after", t->eexist_for_hole_pinned);
	cg_json_uint(j, "hole_seen_then_filled", t->hole_seen_then_filled_pinned);
	cg_json_end(j);
	cg_json_uint(j, "content_errors", t->content_errors);
	cg_json_uint(j, "judge_disagreements", t->judge_disagreements);
	cg_json_uint(j, "layout_skips", t->layout_skips);
	cg_json_uint(j, "errors", t->errors);
	cg_json_bool(j, "stuck", t->stuck);
	cg_json_array(j, "samples");
	for (unsigned i = 0; i < t->nsamples; i++)
		json_sample(j, &t->samples[i]);
	cg_json_end(j);
	cg_json_string(j, "result", result_name(rc));
	cg_json_end(j);
}

static void emit_report_json(const struct options *o, const struct pv_tally *t, int rc)
{
	char *json = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&json, &len);
	struct cg_json j;

	if (!out)
		return;
	cg_json_report_begin(&j, out, false, "collapse-stress");
	pv_json(&j, o, t, rc);
	fclose(out);
	emit_json(o, json);
	free(json);
}
void pv_report(const struct options *o, const struct pv_tally *t)
{
	int rc = pv_exit_code(t);

	if (o->tap) {
		print_tap(o, t);
	} else {
		print_summary("", o, t);
		printf("result: %s\n", result_name(rc));
	}
	fflush(stdout);
	emit_report_json(o, t, rc);
}
