/*
 * The memfd under test (cg_extent.h does the work), a tmpfs file instead,
 * and the two ways to see whether an extent was
 * collapsed (holes gone from the page cache, or backed by one PMD THP).
 */
#ifndef COLLAPSE_CHECK_MEMFD_MAP_H
#define COLLAPSE_CHECK_MEMFD_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cg_extent.h"

/* Page of the armed extent that the touch test reads: always a hole. */
#define TOUCHED_HOLE_PAGE 1

enum thp_state { THP_NO, THP_YES, THP_UNKNOWN };

/* cg_memfd_create and cg_extent_fill (cg_extent.h) with the checker's reasons in why. */
int memfd_make(size_t size, char *why, size_t why_size);
/*
 * A regular file of `size` bytes on a tmpfs: a private tmpfs mount
 * (huge=advise) when we may mount, else /dev/shm if it is a tmpfs. The file
 * is unlinked and the mount detached before this returns, so nothing is left
 * behind once the fd is closed. -1 with why set on failure, -2 when no tmpfs
 * can be had (SKIP). `how` tells which one was used.
 */
int tmpfs_file_make(size_t size, char *how, size_t how_size, char *why, size_t why_size);
int memfd_fill(int fd, size_t size, enum cg_fill fill, char *why, size_t why_size);

/* Map [offset, offset + len) of fd shared, each extent PMD-aligned. */
void *map_extents_aligned(int fd, off_t offset, size_t len);

/* reserve_aligned() (a PROT_NONE placeholder at an extent-aligned address): cg_util.h. */
/* VMAs of this process overlapping [addr, addr + len), from /proc/self/maps; -1 on error. */
int count_vmas(const void *addr, size_t len);

/*
 * Whether the extent mapped at `extent` (a mapping that is not armed, whose
 * probed pages are populated) sits in one PMD-sized THP. Reads pages 0, the
 * middle one and the second to last, which both fill patterns populate.
 */
enum thp_state extent_thp_state(const char *extent, char *how, size_t how_size);

#endif
