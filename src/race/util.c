#define _GNU_SOURCE
#include "util.h"

size_t page_size = 4096;
bool verbose;
const char cg_prog_name[] = "collapse-race";

size_t extent_pages(void)
{
	return EXTENT_SIZE / page_size;
}
