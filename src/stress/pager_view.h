/*
 * --pager-view: a park-free statistical check of what a userfaultfd pager
 * can see of a shmem MADV_COLLAPSE that races its registration: rounds of
 * registration, page-cache queries (lseek, mincore) and UFFDIO_COPY into
 * holes while MADV_COLLAPSE runs, counting "EEXIST for an index that is a
 * hole afterwards" and "seen as a hole after registering, then filled".
 * See pv_round.h and docs/stress.md.
 */
#ifndef STRESS_PAGER_VIEW_H
#define STRESS_PAGER_VIEW_H

#include "cli.h"

/* Runs the check; returns the exit code (0 both counters 0, 1 not, 2 error). */
int run_pager_view(const struct options *o);

#endif
