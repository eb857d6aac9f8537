#define _GNU_SOURCE
#include "memory.h"
#include "memfd_map.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static const struct {
	const char *name;
	const char *description;
} memory_types[N_MEMORY_TYPES] = {
	[MEM_MEMFD] = { "memfd", "memfd_create() file" },
	[MEM_TMPFS] = { "tmpfs", "regular file of a tmpfs: a private mount (huge=advise) "
			"when root, else /dev/shm; --tmpfs-dir DIR to choose" },
};

/* NULL: a private tmpfs mount, or /dev/shm (tmpfs_file_make). */
static const char *tmpfs_dir;

const char *memory_name(enum memory_type type)
{
	return type < N_MEMORY_TYPES ? memory_types[type].name : "?";
}

const char *memory_description(enum memory_type type)
{
	return type < N_MEMORY_TYPES ? memory_types[type].description : "?";
}

bool memory_find(const char *name, enum memory_type *type)
{
	for (int t = 0; t < N_MEMORY_TYPES; t++) {
		if (!strcmp(name, memory_types[t].name)) {
			*type = (enum memory_type)t;
			return true;
		}
	}
	return false;
}

static int check_tmpfs_dir(const char *dir, char *why, size_t why_size)
{
	struct statfs fs;
	struct stat st;

	if (stat(dir, &st) || statfs(dir, &fs)) {
		format_into(why, why_size, "'%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		format_into(why, why_size, "'%s' is not a directory", dir);
		return -1;
	}
	if (fs.f_type != TMPFS_MAGIC) {
		format_into(why, why_size, "'%s' is not on a tmpfs (file system magic 0x%lx)",
			    dir, (unsigned long)fs.f_type);
		return -1;
	}
	return 0;
}

int memory_use_tmpfs_dir(const char *dir, char *why, size_t why_size)
{
	if (check_tmpfs_dir(dir, why, why_size))
		return -1;
	tmpfs_dir = dir;
	return 0;
}

/* An unnamed file of the directory's file system (O_TMPFILE): never linked. */
static int file_in_tmpfs_dir(size_t size, char *how, size_t how_size, char *why,
			     size_t why_size)
{
	int fd;

	if (check_tmpfs_dir(tmpfs_dir, why, why_size))
		return -2;
	fd = open(tmpfs_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		format_into(why, why_size, "O_TMPFILE in %s: %s", tmpfs_dir, errno_name(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size)) {
		format_into(why, why_size, "ftruncate tmpfs file: %s", errno_name(errno));
		close(fd);
		return -1;
	}
	format_into(how, how_size, "tmpfs %s", tmpfs_dir);
	return fd;
}

int memory_file_make(enum memory_type type, size_t size, char *how, size_t how_size,
		     char *why, size_t why_size)
{
	char where[80];
	int fd;

	switch (type) {
	case MEM_MEMFD:
		format_into(how, how_size, "memfd");
		return memfd_make(size, why, why_size);
	case MEM_TMPFS:
		if (tmpfs_dir)
			return file_in_tmpfs_dir(size, how, how_size, why, why_size);
		fd = tmpfs_file_make(size, where, sizeof(where), why, why_size);
		/* "private tmpfs (huge=advise,...)" or "/dev/shm (mount: EPERM)" */
		if (fd >= 0)
			format_into(how, how_size, "%s%s", where[0] == '/' ? "tmpfs " : "", where);
		return fd;
	case N_MEMORY_TYPES:
		break;
	}
	format_into(why, why_size, "no memory type %d", (int)type);
	return -1;
}

int memory_column_begin(enum memory_type type, char *why, size_t why_size)
{
	char how[96];
	int fd = memory_file_make(type, page_size, how, sizeof(how), why, why_size);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}
