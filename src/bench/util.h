/* Helpers shared by every part of collapse-bench. */
#ifndef COLLAPSE_BENCH_UTIL_H
#define COLLAPSE_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg_util.h"

/* One PMD-sized THP extent of a shmem file. */
#define EXTENT_SIZE (2UL << 20)

extern size_t page_size;
extern bool verbose;

size_t pages_per_extent(void);

/*
 * The reason of the last failure, set by fail() (which returns -1 so that
 * `return fail(...)` reads naturally); one thread reports at a time.
 */
extern char fail_reason[256];
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
