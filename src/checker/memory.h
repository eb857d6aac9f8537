/*
 * The memory under test, an axis of the report like the collapse path: every
 * row runs on a memfd and on a regular file of a tmpfs (both are shmem).
 */
#ifndef COLLAPSE_CHECK_MEMORY_H
#define COLLAPSE_CHECK_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

enum memory_type { MEM_MEMFD, MEM_TMPFS, N_MEMORY_TYPES };

/* A row's restriction to some memory types; 0 in a row means every type. */
#define MEMORY_BIT(type) (1u << (type))

const char *memory_name(enum memory_type type);
const char *memory_description(enum memory_type type);
/* false when `name` names no memory type. */
bool memory_find(const char *name, enum memory_type *type);

/*
 * --tmpfs-dir: the tmpfs files go to DIR instead of a private tmpfs mount.
 * 0, or -1 with why when DIR is no directory or not on a tmpfs.
 */
int memory_use_tmpfs_dir(const char *dir, char *why, size_t why_size);

/*
 * A file of `size` bytes, all holes, nothing left behind once fd is closed.
 * `how` says what it is. -1 with why set when it broke (ERROR), -2 when this
 * memory type cannot be had here (SKIP).
 */
int memory_file_make(enum memory_type type, size_t size, char *how, size_t how_size,
		     char *why, size_t why_size);

/* Before a column of this memory type: 0 when usable, else -2 (SKIP) or -1 (ERROR) with why. */
int memory_column_begin(enum memory_type type, char *why, size_t why_size);

#endif
