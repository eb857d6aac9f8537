#define _GNU_SOURCE
#include "page_cache.h"
#include "util.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int seek_says_data(int fd, unsigned long index)
{
	off_t at = (off_t)(index * PAGE_SZ);
	off_t data = lseek(fd, at, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO ? 0 : -errno;	/* no data up to the end */
	return data == at;
}

int mincore_says_data(const void *addr)
{
	unsigned char present;

	if (mincore((void *)addr, PAGE_SZ, &present))
		return -errno;
	return present & 1;
}

long mincore_holes(const void *addr, unsigned long npages, unsigned char *present)
{
	long holes = 0;

	if (mincore((void *)addr, npages * PAGE_SZ, present))
		return -errno;
	for (unsigned long i = 0; i < npages; i++) {
		present[i] &= 1;
		holes += !present[i];
	}
	return holes;
}
