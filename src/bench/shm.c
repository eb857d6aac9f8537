#define _GNU_SOURCE
#include "shm.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

/* The library's extents (cg_extent.h) with bench's fail() reasons. */

int shm_create(const char *name, size_t size)
{
	int fd = cg_memfd_create(name, size);

	return fd < 0 ? fail("memfd_create: %s", errno_name(-fd)) : fd;
}

void *shm_map_aligned(int fd, off_t off, size_t len)
{
	void *map = map_aligned(fd, off, len, PROT_READ | PROT_WRITE);

	if (map == MAP_FAILED) {
		fail("mmap memfd: %s", errno_name(errno));
		return NULL;
	}
	return map;
}

int shm_fill(int fd, off_t off, size_t len, enum cg_fill fill)
{
	int err = cg_extent_fill(fd, off, len, fill);

	return err ? fail("pwrite memfd: %s", errno_name(-err)) : 0;
}

int shm_punch(int fd, off_t off, size_t len)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)len))
		return fail("fallocate PUNCH_HOLE: %s", errno_name(errno));
	return 0;
}

long shm_holes(int fd, off_t off, size_t len)
{
	long holes = cg_count_holes(fd, off, len);

	return holes < 0 ? fail("lseek SEEK_HOLE/SEEK_DATA: %s", errno_name((int)-holes)) : holes;
}
