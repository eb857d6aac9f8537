/*
 * Page contents, stamped (cg_page_stamp.h). Every 8-byte word of a page that
 * the pager supplies holds the stamp of PAGER_MAGIC, a generation and the
 * page's index in the file; pages of the unarmed range written by the
 * writer hold WRITER_MAGIC instead. The pager
 * never supplies a zero word, so a zero word read through an armed mapping
 * can only come from a fill that bypassed the pager.
 */
#ifndef STRESS_CONTENT_H
#define STRESS_CONTENT_H

#include <stdint.h>

#include "cg_page_stamp.h"

#define PAGER_MAGIC  0xC5A9u
#define WRITER_MAGIC 0x7E17u

enum page_verdict {
	PAGE_OK,
	PAGE_ZERO,	/* a zero word: filled behind the pager's back */
	PAGE_GARBAGE,	/* neither a valid stamp for this page nor zero */
};

/*
 * Reads a page word by word through a mapping (volatile loads: each word is
 * one load) and checks each word carries magic and index; generations may
 * differ between words (the page may be re-supplied while read). On a bad
 * word, *word and *value tell which and what.
 */
enum page_verdict check_page(const volatile uint64_t *page, unsigned magic,
			     unsigned long index, int *word, uint64_t *value);

/* The same check on a buffer (pread into it). */
enum page_verdict check_buffer(const uint64_t *page, unsigned magic,
			       unsigned long index, int *word, uint64_t *value);

#endif
