/*
 * The THP knobs a run changes so that khugepaged collapses shmem within
 * seconds: one table for every program, set in this order, restored in
 * reverse. Also a reader of single-number sysfs files (khugepaged's
 * counters).
 */
#ifndef CG_THP_KNOBS_H
#define CG_THP_KNOBS_H

#include <stddef.h>

#include "cg_knobs.h"

extern struct cg_knob cg_khugepaged_knobs[];
extern const size_t cg_n_khugepaged_knobs;

/* Fills in the values that depend on the machine (the page size); call first. */
void cg_khugepaged_knobs_prepare(void);
/* khugepaged's sleep between scans (default 10 ms). */
void cg_khugepaged_knobs_scan_sleep(int ms);

/*
 * The knobs under which writes to shmem allocate small pages while
 * MADV_COLLAPSE of shmem stays allowed: shmem_enabled "advise" where it is
 * "always", "within_size", "force" or "deny", and every per-size
 * shmem_enabled (mTHP, 6.8 and later) "inherit" where it is "always" or
 * "within_size". khugepaged is left alone. Returns the number of knobs in
 * cg_small_shmem_knobs.
 */
extern struct cg_knob cg_small_shmem_knobs[];
size_t cg_small_shmem_knobs_prepare(void);

/* The number a sysfs file holds, or -1 when unreadable. */
long cg_sysfs_long(const char *path);

#endif
