/* Small helpers shared by every part of collapse-check. */
#ifndef COLLAPSE_CHECK_UTIL_H
#define COLLAPSE_CHECK_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cg_extent.h"
#include "cg_util.h"

extern bool verbose;

/* Read exactly len bytes before the deadline (now_ms() clock). */
bool read_full(int fd, void *buf, size_t len, long long deadline);
bool write_full(int fd, const void *buf, size_t len);

#endif
