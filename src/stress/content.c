#include "content.h"
#include "util.h"

static enum page_verdict judge(uint64_t v, unsigned magic, unsigned long index)
{
	if (v == 0)
		return PAGE_ZERO;
	if (!cg_stamp_names(v, magic, index))
		return PAGE_GARBAGE;
	return PAGE_OK;
}

enum page_verdict check_page(const volatile uint64_t *page, unsigned magic,
			     unsigned long index, int *word, uint64_t *value)
{
	for (int i = 0; i < (int)(PAGE_SZ / sizeof(uint64_t)); i++) {
		uint64_t v = page[i];
		enum page_verdict verdict = judge(v, magic, index);

		if (verdict != PAGE_OK) {
			*word = i;
			*value = v;
			return verdict;
		}
	}
	return PAGE_OK;
}

enum page_verdict check_buffer(const uint64_t *page, unsigned magic,
			       unsigned long index, int *word, uint64_t *value)
{
	return check_page((const volatile uint64_t *)page, magic, index, word, value);
}
