#define _GNU_SOURCE
#include "cg_util.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

void *reserve_aligned(size_t len)
{
	size_t span = len + CG_EXTENT_SIZE;
	char *raw = mmap(NULL, span, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *aligned;

	if (raw == MAP_FAILED)
		return MAP_FAILED;
	aligned = (char *)(((uintptr_t)raw + CG_EXTENT_SIZE - 1) & ~(CG_EXTENT_SIZE - 1));
	if (aligned > raw)
		munmap(raw, (size_t)(aligned - raw));
	if (aligned + len < raw + span)
		munmap(aligned + len, (size_t)(raw + span - (aligned + len)));
	return aligned;
}

void *map_aligned(int fd, off_t offset, size_t len, int prot)
{
	char *at = reserve_aligned(len), *got;

	if (at == MAP_FAILED)
		return MAP_FAILED;
	got = mmap(at, len, prot, MAP_SHARED | MAP_FIXED, fd, offset);
	if (got == MAP_FAILED) {
		int err = errno;

		munmap(at, len);
		errno = err;
	}
	return got;
}
