#define _GNU_SOURCE
#include "pv_report.h"
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
	return rc == 0 ? "PASS" : rc == 1 ? "FAIL" : "ERROR";
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
	       kernel_release(), t->rounds, t->pinned_rounds, (double)t->elapsed_ms / 1000,
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

static void tap_line(int *number, bool ok, const char *what)
{
	++*number;
	printf("%s %d pager-view: %s\n", ok ? "ok" : "not ok", *number, what);
}

static void print_tap(const struct options *o, const struct pv_tally *t)
{
	char what[160];
	int n = 0, failed;
	bool judged = could_judge(t);

	printf("TAP version 13\n1..4\n");
	print_summary("# ", o, t);
	snprintf(what, sizeof(what), "no EEXIST for an index that is a hole afterwards "
		 "(%lu of %lu rounds)", t->eexist_for_hole, t->rounds);
	tap_line(&n, !t->eexist_for_hole, what);
	snprintf(what, sizeof(what), "no hole seen after registering is filled "
		 "(%lu of %lu rounds)", t->hole_seen_then_filled, t->rounds);
	tap_line(&n, !t->hole_seen_then_filled, what);
	snprintf(what, sizeof(what), "content intact (%lu rounds with a bad page)",
		 t->content_errors);
	tap_line(&n, !t->content_errors, what);
	snprintf(what, sizeof(what), "the check could judge (%lu registrations returned "
		 "during MADV_COLLAPSE, %lu disagreements, %lu errors%s)", t->registered_during,
		 t->judge_disagreements, t->errors, t->stuck ? ", stuck" : "");
	tap_line(&n, judged, what);
	failed = !!t->eexist_for_hole + !!t->hole_seen_then_filled + !!t->content_errors +
		 !judged;
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", 4 - failed,
	       failed);
}

static void emit_report_json(const struct options *o, const struct pv_tally *t, int rc)
{
	char *json = NULL;
	size_t len = 0;
	FILE *j = open_memstream(&json, &len);
	char calibration_errnos[160] = "";

	if (!j)
		return;
	for (int i = 0; i < CR_NR; i++)
		append_to(calibration_errnos, sizeof(calibration_errnos), "%s\"%s\":%lu",
			  i ? "," : "", collapse_result_names[i], t->calibration_errno[i]);
	fprintf(j, "{\"tool\":\"collapse-stress\",\"mode\":\"pager-view\",\"kernel\":");
	json_str(j, kernel_release());
	fprintf(j, ",\"seconds\":%d,\"rounds_limit\":%d,\"elapsed_ms\":%lld,\"seed\":%" PRIu64
		",\"extents\":%d,\"pinned_one_in\":%d,\"rounds\":%lu,\"pinned_rounds\":%lu,"
		"\"calibration\":{\"rounds\":%lu,\"committed\":%lu,"
		"\"collapse_us\":%.0f,\"madv_collapse\":{%s}},\"window_us\":%.0f,\"registered\":{\"before\":%lu,"
		"\"during\":%lu,\"after\":%lu},\"registered_during_collapse\":%lu,"
		"\"madv_collapse\":{", o->seconds, o->rounds, t->elapsed_ms, o->seed, PV_EXTENTS,
		o->pinned_one_in, t->rounds, t->pinned_rounds, t->calibration_rounds, t->calibration_committed,
		us((int64_t)t->calibration_ns), calibration_errnos, us((int64_t)t->window_ns), t->registered_before,
		t->registered_during, t->registered_after, t->registered_during);
	for (int i = 0; i < CR_NR; i++)
		fprintf(j, "%s\"%s\":%lu", i ? "," : "", collapse_result_names[i],
			t->collapse_errno[i]);
	fprintf(j, "},\"committed\":%lu,\"not_committed\":%lu,\"copy\":{\"ok\":%lu,"
		"\"eexist\":%lu,\"eexist_data_after\":%lu,\"other\":%lu},\"seen_hole\":{"
		"\"either\":%lu,\"lseek\":%lu,\"mincore\":%lu},\"eexist_hole_after\":%lu,"
		"\"hole_seen_then_filled\":%lu,\"hole_seen_then_filled_by\":{\"lseek\":%lu,"
		"\"mincore\":%lu},\"pinned\":{\"eexist_hole_after\":%lu,"
		"\"hole_seen_then_filled\":%lu},\"content_errors\":%lu,\"judge_disagreements\":%lu,"
		"\"layout_skips\":%lu,\"errors\":%lu,\"stuck\":%s,\"samples\":[",
		t->committed, t->rounds - t->committed, t->copy_ok, t->copy_eexist,
		t->copy_eexist_data_after, t->copy_other, t->seen_hole, t->seen_hole_seek,
		t->seen_hole_mincore, t->eexist_for_hole, t->hole_seen_then_filled,
		t->hole_seen_then_filled_seek, t->hole_seen_then_filled_mincore,
		t->eexist_for_hole_pinned, t->hole_seen_then_filled_pinned, t->content_errors, t->judge_disagreements, t->layout_skips, t->errors,
		t->stuck ? "true" : "false");
	for (unsigned i = 0; i < t->nsamples; i++) {
		const struct pv_round *r = &t->samples[i];

		fprintf(j, "%s{\"round\":%lu,\"pinned\":%s,\"kind\":\"%s\",\"collapse\":\"%s\","
			"\"collapse_us\":[%.1f,%.1f],\"register_us\":[%.1f,%.1f],"
			"\"observed\":%u,\"lseek\":\"%s\",\"mincore\":\"%s\",\"copied\":%u,"
			"\"copy\":\"%s\",\"observed_after\":\"%s\",\"copied_after\":\"%s\","
			"\"holes_after\":%ld,\"detail\":", i ? "," : "", r->number,
			r->pinned ? "true" : "false", sample_kind(r), errno_name(r->collapse_err),
			us((int64_t)(r->collapse_start_abs - r->go_abs_ns)),
			us((int64_t)(r->collapse_end_abs - r->go_abs_ns)), us(r->register_start),
			us(r->register_end), r->observed, hole_or_data(r->seek_saw_hole),
			hole_or_data(r->mincore_saw_hole), r->copied, errno_name(r->copy_err),
			hole_or_data(r->observed_hole_after), hole_or_data(r->copied_hole_after),
			r->holes_after);
		json_str(j, r->content_detail);
		fputc('}', j);
	}
	fprintf(j, "],\"result\":\"%s\"}", result_name(rc));
	fclose(j);
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
