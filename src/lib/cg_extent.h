/*
 * The memfd extents under test: creation, population with holes, and the
 * ways to see holes without changing them (lseek SEEK_HOLE/SEEK_DATA on the
 * file, mincore() through a mapping). The extent size is CG_EXTENT_SIZE
 * (cg_util.h); PMD-aligned mappings are map_aligned() there.
 *
 * Every function returns a negative errno on failure; the caller says what
 * it was doing.
 */
#ifndef CG_EXTENT_H
#define CG_EXTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cg_util.h"

/* The base page size; 4096 until a program sets it from sysconf(). */
extern size_t page_size;
/* CG_EXTENT_SIZE / page_size. */
size_t pages_per_extent(void);

/*
 * Page-content bytes of the programs that fill whole pages with one byte:
 * what populating writes (a page that was never a hole) and what a pager
 * serves into a hole (a page the pager supplied).
 */
#define CG_POPULATED_BYTE 0x5a
#define CG_SERVED_BYTE    0xc3

/* What a read of a page found: one vocabulary for every program. */
enum cg_page_content {
	CG_PAGE_UNREAD,		/* the reader never finished */
	CG_PAGE_ZEROES,		/* zero-filled: nobody asked the pager */
	CG_PAGE_POPULATED,	/* what was written before: the page was never a hole */
	CG_PAGE_SERVED,		/* the page the pager supplied */
	CG_PAGE_OTHER,
};

const char *cg_page_content_name(enum cg_page_content content);

enum cg_fill {
	CG_FILL_EVEN_PAGES,	/* even pages written, odd pages left as holes */
	CG_FILL_ALL_PAGES,	/* no hole at all */
};

/* A memfd (MFD_CLOEXEC) named `name` of `size` bytes, no page allocated: fd or -errno. */
int cg_memfd_create(const char *name, size_t size);
/*
 * Writes CG_POPULATED_BYTE pages into [off, off + len) as `fill` says, with
 * pwrite (no mapping, so no huge page at fill time): 0 or -errno.
 */
int cg_extent_fill(int fd, off_t off, size_t len, enum cg_fill fill);
/* Holes cg_extent_fill leaves in one extent. */
long cg_fill_holes(enum cg_fill fill);

/* Pages of [off, off + len) that lseek reports as holes, or -errno. */
long cg_count_holes(int fd, off_t off, size_t len);
/* Marks is_hole[i] for each page i of [off, off + len) that is a hole: 0 or -errno. */
int cg_hole_map(int fd, off_t off, size_t len, bool *is_hole);
/*
 * Whether [off, off + len) holds any hole / any data, by one lseek each
 * (cheap enough for a hot loop): 1 or 0, or -errno.
 */
int cg_range_has_hole(int fd, off_t off, size_t len);
int cg_range_has_data(int fd, off_t off, size_t len);
/* 1 if the page at offset `off` is a hole by lseek(SEEK_DATA), 0 if data, or -errno. */
int cg_page_is_hole(int fd, off_t off);

/*
 * mincore() of npages pages from addr: resident[i] is 1 or 0 (resident may
 * be NULL for npages == 1); returns how many are not resident, or -errno.
 */
long cg_mincore_holes(const void *addr, size_t npages, unsigned char *resident);

#endif
