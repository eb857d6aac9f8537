/* Helpers shared by every part of collapse-bench. */
#ifndef COLLAPSE_BENCH_UTIL_H
#define COLLAPSE_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg_extent.h"
#include "cg_util.h"

extern bool verbose;

/*
 * The reason of the last failure, set by fail() (which returns -1 so that
 * `return fail(...)` reads naturally); one thread reports at a time.
 */
extern char fail_reason[256];
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
