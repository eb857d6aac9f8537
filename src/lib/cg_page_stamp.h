/*
 * Page-content markers that name their page: every 64-bit word of a page
 * holds a stamp, a 16-bit mark (who wrote the page: the pager, a writer,
 * the set-up before the collapse), a 16-bit generation and the 32-bit page
 * index. A reader tells the pager's page, a page written before, another
 * page's contents and zeroes (a fill that bypassed the pager) apart.
 * (Programs that only need "populated" or "served" fill whole pages with
 * one byte instead: CG_POPULATED_BYTE, CG_SERVED_BYTE in cg_extent.h.)
 */
#ifndef CG_PAGE_STAMP_H
#define CG_PAGE_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint64_t cg_stamp(unsigned mark, unsigned gen, unsigned long index)
{
	return ((uint64_t)(mark & 0xffff) << 48) | ((uint64_t)(gen & 0xffff) << 32) |
	       (uint32_t)index;
}

/* Whether a word is a stamp of `mark` for page `index`, of any generation. */
static inline bool cg_stamp_names(uint64_t word, unsigned mark, unsigned long index)
{
	return (word >> 48) == (mark & 0xffff) && (uint32_t)word == (uint32_t)index;
}

/* Fills size bytes of page with `stamp` in every word. */
void cg_stamp_fill(void *page, size_t size, uint64_t stamp);
/* Whether every word of size bytes at page (volatile loads) is `word`. */
bool cg_words_all(const volatile void *page, size_t size, uint64_t word);

#endif
