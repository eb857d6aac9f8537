/*
 * The known contents of the source VM's RAM: pseudo-random pages, with some
 * pages and one whole extent all zero (QEMU sends those as zero pages; on
 * the destination they are holes until placed, like every other page).
 */
#ifndef PAGER_PATTERN_H
#define PAGER_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define PAGER_PAGE 4096UL

bool pattern_page_is_zero(size_t page);
/* Fills PAGER_PAGE bytes with page `page` of the pattern. */
void pattern_page(size_t page, unsigned char *buf);
/* Writes len bytes (a multiple of PAGER_PAGE) of the pattern to path; 0 or -errno. */
int pattern_write_file(const char *path, size_t len);
/* How many of the len/PAGER_PAGE pages are all zero in the pattern. */
size_t pattern_zero_pages(size_t len);

struct ram_diff {
	size_t pages;		/* pages that differ */
	size_t zeroed;		/* of them, pages read as all zero */
	long long first;	/* byte offset of the first differing page, -1 if none */
};

/* Compares len bytes of got with the pattern. */
void pattern_compare(const unsigned char *got, size_t len, struct ram_diff *diff);
/* Compares two buffers page by page (zeroed counts pages all zero in got). */
void buffer_compare(const unsigned char *got, const unsigned char *want, size_t len,
		    struct ram_diff *diff);

#endif
