/*
 * What the page cache says about a page of a shmem file, asked the ways a
 * pager can ask: lseek(SEEK_DATA) on the file, mincore() through a mapping.
 * Both count a page that is in the cache but not up to date as a hole, which
 * is what makes a collapse's half-built huge page visible.
 */
#ifndef STRESS_PAGE_CACHE_H
#define STRESS_PAGE_CACHE_H

#include <sys/types.h>

/* 1 if the page at index is data by lseek(SEEK_DATA), 0 if a hole, -errno. */
int seek_says_data(int fd, unsigned long index);
/* 1 if mincore() reports the page mapped at addr resident, 0 if not, -errno. */
int mincore_says_data(const void *addr);
/*
 * mincore() of npages pages from addr into present[] (1 resident, 0 not);
 * returns how many are not resident, or -errno.
 */
long mincore_holes(const void *addr, unsigned long npages, unsigned char *present);

#endif
