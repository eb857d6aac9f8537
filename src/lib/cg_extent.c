#define _GNU_SOURCE
#include "cg_extent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

size_t page_size = 4096;

size_t pages_per_extent(void)
{
	return CG_EXTENT_SIZE / page_size;
}

const char *cg_page_content_name(enum cg_page_content content)
{
	switch (content) {
	case CG_PAGE_UNREAD: return "nothing (toucher never finished)";
	case CG_PAGE_ZEROES: return "zeroes";
	case CG_PAGE_POPULATED: return "the populated pattern";
	case CG_PAGE_SERVED: return "the pager's page";
	case CG_PAGE_OTHER: break;
	}
	return "unexpected data";
}

int cg_memfd_create(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int cg_extent_fill(int fd, off_t off, size_t len, enum cg_fill fill)
{
	size_t step = fill == CG_FILL_EVEN_PAGES ? 2 * page_size : page_size;
	char *page = malloc(page_size);
	int err = 0;

	if (!page)
		return -ENOMEM;
	memset(page, CG_POPULATED_BYTE, page_size);
	for (size_t pos = 0; pos < len && !err; pos += step) {
		ssize_t put = pwrite(fd, page, page_size, off + (off_t)pos);

		if (put != (ssize_t)page_size)
			err = put < 0 ? -errno : -EIO;
	}
	free(page);
	return err;
}

long cg_fill_holes(enum cg_fill fill)
{
	return fill == CG_FILL_EVEN_PAGES ? (long)pages_per_extent() / 2 : 0;
}

/*
 * Calls hole(off, arg) for each page of [off, off + len) that lseek reports
 * as a hole: 0 or -errno.
 */
static int walk_holes(int fd, off_t off, size_t len, void (*hole)(off_t, void *), void *arg)
{
	off_t end = off + (off_t)len, pos = off;

	while (pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA);

		if (data < 0) {
			if (errno != ENXIO)
				return -errno;
			data = end;	/* nothing but hole up to EOF */
		}
		if (data > end)
			data = end;
		for (off_t at = pos; at < data; at += (off_t)page_size)
			hole(at, arg);
		if (data >= end)
			break;
		pos = lseek(fd, data, SEEK_HOLE);
		if (pos < 0)
			return -errno;
	}
	return 0;
}

static void count_hole(off_t at, void *arg)
{
	(void)at;
	++*(long *)arg;
}

long cg_count_holes(int fd, off_t off, size_t len)
{
	long holes = 0;
	int err = walk_holes(fd, off, len, count_hole, &holes);

	return err ? err : holes;
}

struct hole_map {
	off_t start;
	bool *is_hole;
};

static void mark_hole(off_t at, void *arg)
{
	struct hole_map *map = arg;

	map->is_hole[(at - map->start) / (off_t)page_size] = true;
}

int cg_hole_map(int fd, off_t off, size_t len, bool *is_hole)
{
	struct hole_map map = { .start = off, .is_hole = is_hole };

	for (size_t i = 0; i < len / page_size; i++)
		is_hole[i] = false;
	return walk_holes(fd, off, len, mark_hole, &map);
}

int cg_range_has_hole(int fd, off_t off, size_t len)
{
	off_t hole = lseek(fd, off, SEEK_HOLE);

	return hole < 0 ? -errno : hole < off + (off_t)len;
}

int cg_range_has_data(int fd, off_t off, size_t len)
{
	off_t data = lseek(fd, off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO ? 0 : -errno;	/* no data up to the end */
	return data < off + (off_t)len;
}

int cg_page_is_hole(int fd, off_t off)
{
	off_t data = lseek(fd, off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO ? 1 : -errno;	/* no data up to the end */
	return data != off;
}

long cg_mincore_holes(const void *addr, size_t npages, unsigned char *resident)
{
	unsigned char one;
	unsigned char *vec = resident ? resident : &one;
	long holes = 0;

	if (!resident && npages != 1)
		return -EINVAL;
	if (mincore((void *)addr, npages * page_size, vec))
		return -errno;
	for (size_t i = 0; i < npages; i++) {
		vec[i] &= 1;
		holes += !vec[i];
	}
	return holes;
}
