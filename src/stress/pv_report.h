/* --pager-view: the tally of the rounds, and its text, TAP and JSON reports. */
#ifndef STRESS_PV_REPORT_H
#define STRESS_PV_REPORT_H

#include "cli.h"
#include "pv_round.h"
#include "shared.h"

#include <stdint.h>

#define PV_MAX_SAMPLES 8

struct pv_tally {
	unsigned long rounds;		/* race rounds judged */
	unsigned long pinned_rounds;	/* of which a page was pinned */
	unsigned long calibration_rounds, calibration_committed;
	unsigned long calibration_errno[CR_NR];
	uint64_t calibration_ns;	/* mean go-to-return of the committed ones */
	uint64_t window_ns;		/* delays are drawn from [0, window] */
	/* When the registration returned, against the MADV_COLLAPSE call. */
	unsigned long registered_before, registered_during, registered_after;
	unsigned long collapse_errno[CR_NR];
	unsigned long committed;	/* by the page cache: no hole left */
	unsigned long copy_ok, copy_eexist, copy_eexist_data_after, copy_other;
	unsigned long seen_hole_seek, seen_hole_mincore, seen_hole;
	/* The two counters. */
	unsigned long eexist_for_hole;
	unsigned long hole_seen_then_filled;
	unsigned long hole_seen_then_filled_seek, hole_seen_then_filled_mincore;
	unsigned long eexist_for_hole_pinned, hole_seen_then_filled_pinned;
	/* What makes a run fail (content) or unusable (the rest). */
	unsigned long content_errors;
	unsigned long judge_disagreements;
	unsigned long layout_skips;	/* odd pages were not holes after preparing */
	unsigned long errors;		/* failed syscalls of the check itself */
	unsigned nsamples;
	struct pv_round samples[PV_MAX_SAMPLES];
	long long elapsed_ms;
	int stuck;
};

void pv_tally_round(struct pv_tally *t, const struct pv_round *r);
/* --trace: the round's timeline, one line on stderr. */
void pv_trace_round(const struct pv_round *r);
/* 0 clean, 1 a counter or the content failed, 2 the check could not judge. */
int pv_exit_code(const struct pv_tally *t);
/* Text (or, with --tap, kselftest TAP) on stdout, JSON to emit_json(). */
void pv_report(const struct options *o, const struct pv_tally *t);

#endif
