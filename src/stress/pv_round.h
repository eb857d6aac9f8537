/*
 * One round of --pager-view (docs/stress.md): a 2 MiB extent whose even
 * pages hold the pager's content and whose odd pages are holes; a collapser
 * thread runs MADV_COLLAPSE on it through an untouched mapping while the
 * pager, after a random delay, registers its own mapping of the extent
 * MISSING, asks the page cache about one hole (the observed page) and
 * places another with UFFDIO_COPY (the copied page). After MADV_COLLAPSE
 * returned, the page cache is judged.
 *
 * In a pinned round the pager first takes a reference of its own to the
 * extent's last populated page (vmsplice into a pipe), right before it
 * registers: when that lands after the collapse's scan and before its loop
 * reached the page, the collapse fails near its end for a reason that has
 * nothing to do with the registration (a pin taken before the collapse
 * makes its scan give up at once). What a pager sees of a collapse that
 * fails late.
 */
#ifndef STRESS_PV_ROUND_H
#define STRESS_PV_ROUND_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define PV_EXTENTS 4

/* The file and the mappings of the whole run. */
struct pv_file {
	int memfd;
	int uffd;		/* MISSING, no events: nobody faults on pager_map */
	char *collapse_map;	/* the whole file, never touched: collapse and mincore */
	char *pager_map[PV_EXTENTS];	/* one per extent, registered during a round */
	uint64_t *extent_buf;	/* CG_EXTENT_SIZE: the content to write, then to check */
	uint64_t *page_buf;	/* PAGE_SZ: what the pager copies */
	char *pin_map;		/* the whole file, to pin a page through */
	int pin_pipe[2];	/* holds the pinned page's reference */
};

/* The page a pinned round holds a reference to: the last populated one. */
#define PV_PINNED_PAGE (EXTENT_PAGES - 2)

/* Times are ns after the collapser was told to go; INT64_MIN: did not happen. */
struct pv_round {
	unsigned long number;
	int extent;
	bool race;		/* false: a calibration round, nothing registers */
	bool pinned;		/* PV_PINNED_PAGE has a reference of its own */
	unsigned observed;	/* page of the extent the pager asks about */
	unsigned copied;	/* page of the extent the pager places */
	bool early;		/* register at once, without waiting for the collapse */
	uint64_t delay_ns;	/* from delay_from_abs to the registration */

	uint64_t go_abs_ns;	/* CLOCK_MONOTONIC of the go */
	uint64_t delay_from_abs;	/* the go, or when the collapser started */
	uint64_t collapse_start_abs, collapse_end_abs;	/* set by the collapser */
	int collapse_err;	/* errno of MADV_COLLAPSE, 0 if it returned 0 */

	int64_t pinned_at, register_start, register_end, observed_at, copy_end;
	int pin_err, register_err, copy_err;
	bool seek_saw_hole, mincore_saw_hole;	/* after the registration */

	/* The page cache after MADV_COLLAPSE returned. */
	bool observed_hole_after, copied_hole_after;
	long holes_before, holes_after;	/* of the extent, by mincore */
	bool judge_disagrees;	/* lseek and mincore disagree: no verdict */
	bool content_bad;	/* a page does not hold what it must */
	char content_detail[128];
};

/* Collapse outcome judged by the page cache, whatever the errno says. */
static inline bool pv_committed(const struct pv_round *r)
{
	return r->holes_after == 0;
}

/* Counter 1: UFFDIO_COPY said EEXIST for an index that is a hole afterwards. */
static inline bool pv_eexist_for_hole(const struct pv_round *r)
{
	return r->race && r->copy_err == EEXIST && r->copied_hole_after;
}

/* Counter 2: a hole seen after registering, then filled without the pager. */
static inline bool pv_hole_seen_then_filled(const struct pv_round *r)
{
	return r->race && (r->seek_saw_hole || r->mincore_saw_hole) && !r->observed_hole_after;
}

/* The registration returned while MADV_COLLAPSE ran. */
static inline bool pv_registered_during_collapse(const struct pv_round *r)
{
	int64_t start = (int64_t)(r->collapse_start_abs - r->go_abs_ns);
	int64_t end = (int64_t)(r->collapse_end_abs - r->go_abs_ns);

	return r->race && !r->register_err && r->register_end >= start && r->register_end <= end;
}

/*
 * Punches the extent and writes the pager's content into its even pages.
 * Returns 0, -errno, or 1 when the odd pages are not all holes afterwards
 * (e.g. a THP setting that allocates large pages on write).
 */
int pv_prepare_extent(struct pv_file *f, struct pv_round *r);
/* The pager's part, from delay_from_abs: delay, (pin,) register, observe, copy. */
void pv_pager_race(struct pv_file *f, struct pv_round *r);
/* After MADV_COLLAPSE returned: the page cache and the content. */
void pv_judge(struct pv_file *f, struct pv_round *r);
/* Unregisters the extent's pager mapping, drops the pin; 0 or -errno. */
int pv_finish(struct pv_file *f, struct pv_round *r);

#endif
