#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

size_t page_size = 4096;
bool verbose;
const char cg_prog_name[] = "collapse-bench";
char fail_reason[256];

size_t pages_per_extent(void)
{
	return EXTENT_SIZE / page_size;
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return -1;
}
