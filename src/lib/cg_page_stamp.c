#include "cg_page_stamp.h"

void cg_stamp_fill(void *page, size_t size, uint64_t stamp)
{
	uint64_t *word = page;

	for (size_t i = 0; i < size / sizeof(*word); i++)
		word[i] = stamp;
}

bool cg_words_all(const volatile void *page, size_t size, uint64_t word)
{
	const volatile uint64_t *at = page;

	for (size_t i = 0; i < size / sizeof(*at); i++)
		if (at[i] != word)
			return false;
	return true;
}
