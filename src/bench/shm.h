/*
 * shmem files (memfd) and their mappings, by the library's extents
 * (cg_extent.h) with bench's fail() reasons: creation, PMD-aligned shared
 * mappings, filling pages with pwrite (CG_POPULATED_BYTE), punching extents
 * back to holes, and counting holes with SEEK_HOLE/SEEK_DATA.
 */
#ifndef COLLAPSE_BENCH_SHM_H
#define COLLAPSE_BENCH_SHM_H

#include <stddef.h>
#include <sys/types.h>

#include "cg_extent.h"

/* A memfd of `size` bytes, no page allocated; -1 and fail_reason on error. */
int shm_create(const char *name, size_t size);
/* Map [off, off + len) of fd shared and read-write at a PMD-aligned address, or NULL. */
void *shm_map_aligned(int fd, off_t off, size_t len);
int shm_fill(int fd, off_t off, size_t len, enum cg_fill fill);
int shm_punch(int fd, off_t off, size_t len);
/* Pages of [off, off + len) that are holes; -1 on error. */
long shm_holes(int fd, off_t off, size_t len);

#endif
