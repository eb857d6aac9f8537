/*
 * shmem files (memfd) and their mappings: creation, PMD-aligned shared
 * mappings, filling pages with pwrite (no fault, no VMA involved), punching
 * extents back to holes, and counting holes with SEEK_HOLE/SEEK_DATA.
 */
#ifndef COLLAPSE_BENCH_SHM_H
#define COLLAPSE_BENCH_SHM_H

#include <stddef.h>
#include <sys/types.h>

/* What shm_fill() writes into every page it populates. */
#define SHM_FILL_BYTE 0x5a

enum fill {
	FILL_EVEN,	/* even pages written, odd pages left as holes */
	FILL_ALL,	/* every page written */
};

/* A memfd of `size` bytes, no page allocated; -1 and fail_reason on error. */
int shm_create(const char *name, size_t size);

/* Map [off, off + len) of fd shared and read-write at a PMD-aligned address. */
void *shm_map_aligned(int fd, off_t off, size_t len);

int shm_fill(int fd, off_t off, size_t len, enum fill fill);
int shm_punch(int fd, off_t off, size_t len);

/* Pages of [off, off + len) that are holes; -1 on error. */
long shm_holes(int fd, off_t off, size_t len);

#endif
