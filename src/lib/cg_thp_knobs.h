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

/* The number a sysfs file holds, or -1 when unreadable. */
long cg_sysfs_long(const char *path);

#endif
