/* Small helpers shared by every part of collapse-race. */
#ifndef COLLAPSE_RACE_UTIL_H
#define COLLAPSE_RACE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cg_extent.h"
#include "cg_util.h"

/* The only base page size supported (rows SKIP otherwise), and its extent. */
#define PAGE_SIZE_SUPPORTED 4096
#define EXTENT_PAGES_MAX (CG_EXTENT_SIZE / PAGE_SIZE_SUPPORTED)

extern bool verbose;

#endif
