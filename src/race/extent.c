#define _GNU_SOURCE
#include "extent.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void pattern_fill(void *page, unsigned mark, size_t index)
{
	cg_stamp_fill(page, page_size, cg_stamp(mark, 0, index));
}

enum cg_page_content page_classify(const volatile void *page, size_t index)
{
	if (cg_words_all(page, page_size, 0))
		return CG_PAGE_ZEROES;
	if (cg_words_all(page, page_size, cg_stamp(MARK_POPULATED, 0, index)))
		return CG_PAGE_POPULATED;
	if (cg_words_all(page, page_size, cg_stamp(MARK_SERVED, 0, index)))
		return CG_PAGE_SERVED;
	return CG_PAGE_OTHER;
}

bool page_populated_initially(size_t index)
{
	return index % 2 == 0;
}

int extent_create(char *why, size_t why_size)
{
	int fd = cg_memfd_create("collapse-race", CG_EXTENT_SIZE);
	static uint64_t page[PAGE_SIZE_SUPPORTED / sizeof(uint64_t)];

	if (fd < 0) {
		format_into(why, why_size, "memfd_create: %s", errno_name(-fd));
		return -1;
	}
	for (size_t i = 0; i < pages_per_extent(); i++) {
		if (!page_populated_initially(i))
			continue;
		pattern_fill(page, MARK_POPULATED, i);
		if (pwrite(fd, page, page_size, (off_t)(i * page_size)) != (ssize_t)page_size) {
			format_into(why, why_size, "pwrite memfd page %zu: %s", i, errno_name(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

char *extent_map(int fd)
{
	char *map = map_aligned(fd, 0, CG_EXTENT_SIZE, PROT_READ | PROT_WRITE);

	return map == MAP_FAILED ? NULL : map;
}

void extent_unmap(char *map)
{
	if (map)
		munmap(map, CG_EXTENT_SIZE);
}

int extent_residency(const char *map, bool *resident)
{
	unsigned char vec[EXTENT_PAGES_MAX];
	long holes = cg_mincore_holes(map, pages_per_extent(), vec);

	if (holes < 0)
		return (int)holes;
	for (size_t i = 0; i < pages_per_extent(); i++)
		resident[i] = vec[i];
	return 0;
}

long long extent_blocks(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	return (long long)st.st_blocks;
}
