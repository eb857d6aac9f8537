#define _GNU_SOURCE
#include "shm.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int shm_create(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return fail("memfd_create: %s", errno_name(errno));
	if (ftruncate(fd, (off_t)size)) {
		int err = errno;

		close(fd);
		return fail("ftruncate memfd: %s", errno_name(err));
	}
	return fd;
}

void *shm_map_aligned(int fd, off_t off, size_t len)
{
	size_t span = len + EXTENT_SIZE;
	char *area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *start;

	if (area == MAP_FAILED) {
		fail("mmap reservation: %s", errno_name(errno));
		return NULL;
	}
	start = (char *)(((uintptr_t)area + EXTENT_SIZE - 1) & ~(EXTENT_SIZE - 1));
	if (mmap(start, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, off) ==
	    MAP_FAILED) {
		fail("mmap memfd: %s", errno_name(errno));
		munmap(area, span);
		return NULL;
	}
	if (start > area)
		munmap(area, (size_t)(start - area));
	if (start + len < area + span)
		munmap(start + len, (size_t)(area + span - (start + len)));
	return start;
}

int shm_fill(int fd, off_t off, size_t len, enum fill fill)
{
	static char *page;
	size_t step = fill == FILL_EVEN ? 2 * page_size : page_size;

	if (!page) {
		page = malloc(page_size);
		if (!page)
			return fail("out of memory");
		memset(page, SHM_FILL_BYTE, page_size);
	}
	for (size_t pos = 0; pos < len; pos += step)
		if (pwrite(fd, page, page_size, off + (off_t)pos) != (ssize_t)page_size)
			return fail("pwrite memfd: %s", errno_name(errno));
	return 0;
}

int shm_punch(int fd, off_t off, size_t len)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)len))
		return fail("fallocate PUNCH_HOLE: %s", errno_name(errno));
	return 0;
}

long shm_holes(int fd, off_t off, size_t len)
{
	off_t end = off + (off_t)len, pos = off;
	long holes = 0;

	while (pos < end) {
		off_t hole = lseek(fd, pos, SEEK_HOLE), data;

		if (hole < 0)
			return fail("lseek SEEK_HOLE: %s", errno_name(errno));
		if (hole >= end)
			break;
		data = lseek(fd, hole, SEEK_DATA);
		if (data < 0 && errno != ENXIO)
			return fail("lseek SEEK_DATA: %s", errno_name(errno));
		if (data < 0 || data > end)
			data = end;
		holes += (long)((data - hole) / (off_t)page_size);
		pos = data;
	}
	return holes;
}
