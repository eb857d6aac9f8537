/* Small helpers shared by every part of collapse-race. */
#ifndef COLLAPSE_RACE_UTIL_H
#define COLLAPSE_RACE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cg_util.h"

/* One PMD-sized THP extent: the unit every row collapses. */
#define EXTENT_SIZE (2UL << 20)
/* The only base page size supported (rows SKIP otherwise), and its extent. */
#define PAGE_SIZE_SUPPORTED 4096
#define EXTENT_PAGES_MAX (EXTENT_SIZE / PAGE_SIZE_SUPPORTED)

extern size_t page_size;
extern bool verbose;

size_t extent_pages(void);

#endif
