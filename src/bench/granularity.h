/*
 * Granularity: a file of GRAN_EXTENTS extents, every one with holes, one of
 * them (GRAN_ARMED) armed MISSING through a mapping of its own. Through a
 * second, unarmed mapping of the whole file, MADV_COLLAPSE or khugepaged is
 * asked to collapse everything: how many of the other extents collapse?
 */
#ifndef COLLAPSE_BENCH_GRANULARITY_H
#define COLLAPSE_BENCH_GRANULARITY_H

#include <stdbool.h>

#define GRAN_EXTENTS 8
#define GRAN_ARMED 3

enum gran_path { GRAN_MADV_COLLAPSE, GRAN_KHUGEPAGED };

struct gran_result {
	enum gran_path path;
	bool ok;
	char error[256];
	int other_collapsed, other_total;
	bool armed_collapsed;	/* its holes were zero-filled: the bug */
	/*
	 * One character per extent: 'C' collapsed, '.' not collapsed, for the
	 * armed extent 'A' (holes kept) or 'Z' (zero-filled).
	 */
	char map[GRAN_EXTENTS + 1];
	int madv_errno;		/* MADV_COLLAPSE of the whole range; 0 = success */
	/*
	 * MADV_COLLAPSE: then each extent left is asked again on its own, since
	 * a kernel may stop the whole-range call at the first refusal; these are
	 * the counts and map after that.
	 */
	int each_other_collapsed;
	bool each_armed_collapsed;
	char each_map[GRAN_EXTENTS + 1];
	long full_scans;	/* khugepaged passes seen while waiting */
	double waited_s;
	bool timed_out;		/* khugepaged: neither condition met in time */
};

/* khugepaged_timeout_s bounds the wait of the khugepaged path. */
void granularity_run(enum gran_path path, double khugepaged_timeout_s,
		     struct gran_result *res);
const char *gran_path_name(enum gran_path path);

#endif
