/* Small helpers shared by every part of collapse-check. */
#ifndef COLLAPSE_CHECK_UTIL_H
#define COLLAPSE_CHECK_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cg_util.h"

/* One PMD-sized THP extent: the unit every scenario collapses. */
#define EXTENT_SIZE (2UL << 20)

extern size_t page_size;
extern bool verbose;

size_t pages_per_extent(void);

/* Read exactly len bytes before the deadline (now_ms() clock). */
bool read_full(int fd, void *buf, size_t len, long long deadline);
bool write_full(int fd, const void *buf, size_t len);

#endif
