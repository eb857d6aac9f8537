/*
 * The memfd under test: one PMD-sized extent whose even pages hold a known
 * pattern and whose odd pages are holes, PMD-aligned shared mappings of it,
 * and the ways to look at it without changing it (lseek, mincore, fstat).
 */
#ifndef COLLAPSE_RACE_EXTENT_H
#define COLLAPSE_RACE_EXTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg_extent.h"
#include "cg_page_stamp.h"

/* Each 64-bit word of a page holds the stamp of a mark and the page index. */
#define MARK_POPULATED 0x504f	/* "PO": written before the collapse */
#define MARK_SERVED    0x5352	/* "SR": supplied by the pager */

/* cg_stamp_fill of one page with cg_stamp(mark, 0, index). */
void pattern_fill(void *page, unsigned mark, size_t index);
enum cg_page_content page_classify(const volatile void *page, size_t index);

/* A memfd of one extent with the even pages written (pwrite, no mapping). */
int extent_create(char *why, size_t why_size);
bool page_populated_initially(size_t index);

/* Shared mapping of the whole memfd at a PMD-aligned address, or NULL. */
char *extent_map(int fd);
void extent_unmap(char *map);

/* Holes by lseek: cg_count_holes and cg_hole_map over [0, CG_EXTENT_SIZE) (cg_extent.h). */
/* Resident pages of a mapping per mincore(), in resident[]: 0 or -errno. */
int extent_residency(const char *map, bool *resident);
/* st_blocks of the memfd, or -errno. */
long long extent_blocks(int fd);

#endif
