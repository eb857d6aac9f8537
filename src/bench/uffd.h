/* userfaultfd (cg_uffd.h) with bench's fail() reasons: -1 and fail_reason on error. */
#ifndef COLLAPSE_BENCH_UFFD_H
#define COLLAPSE_BENCH_UFFD_H

#include <stddef.h>

#include "cg_uffd.h"

#define PAGER_POLL_MS 100

/* A userfaultfd (no extra feature). */
int uffd_new(void);
int uffd_register_missing(int uffd, void *addr, size_t len);
int uffd_unregister(int uffd, void *addr, size_t len);

/*
 * The library's pager on its own thread: answers every MISSING fault on
 * `uffd` with a page of CG_SERVED_BYTE; a failure stops it (pager_failure
 * then says so). cg_pager_stop() stops it.
 */
int pager_start(struct cg_pager *pager, int uffd);
int pager_failure(struct cg_pager *pager);

#endif
