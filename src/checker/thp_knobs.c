#define _GNU_SOURCE
#include "thp_knobs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct knob {
	const char *path;
	const char *wanted;
	const char *only_if;	/* change only when the current value is this */
	char saved[32];
	volatile sig_atomic_t changed;
};

static char max_ptes_none_wanted[16];

/* Applied in this order, restored in reverse. */
static struct knob knobs[] = {
	{ KHUGEPAGED_SYSFS_DIR "/max_ptes_none", max_ptes_none_wanted, NULL, "", 0 },
	{ KHUGEPAGED_SYSFS_DIR "/pages_to_scan", "4096", NULL, "", 0 },
	{ KHUGEPAGED_SYSFS_DIR "/alloc_sleep_millisecs", "10", NULL, "", 0 },
	{ KHUGEPAGED_SYSFS_DIR "/scan_sleep_millisecs", "10", NULL, "", 0 },
	/* 6.1 stops khugepaged altogether while anon THP is "never". */
	{ THP_SYSFS_DIR "/enabled", "madvise", "never", "", 0 },
	{ THP_SYSFS_DIR "/shmem_enabled", "advise", NULL, "", 0 },
};
#define N_KNOBS (sizeof(knobs) / sizeof(knobs[0]))

/* "always [madvise] never" -> "madvise"; "511\n" -> "511". */
static int read_knob(const char *path, char *value, size_t size)
{
	char raw[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = read(fd, raw, sizeof(raw) - 1);
	close(fd);
	if (got < 0)
		return -errno;
	raw[got] = '\0';
	return knob_value(raw, value, size);
}

static int write_knob(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(value), put;
	int err = 0;

	if (fd < 0)
		return -errno;
	put = write(fd, value, (size_t)len);
	if (put != len)
		err = put < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

int thp_knobs_apply_for_khugepaged(char *why, size_t why_size)
{
	format_into(max_ptes_none_wanted, sizeof(max_ptes_none_wanted), "%zu",
		    pages_per_extent() - 1);
	for (size_t i = 0; i < N_KNOBS; i++) {
		struct knob *k = &knobs[i];
		int err = read_knob(k->path, k->saved, sizeof(k->saved));

		if (err) {
			format_into(why, why_size, "cannot read %s: %s", k->path, errno_name(-err));
			goto undo;
		}
		if (!strcmp(k->saved, k->wanted) || (k->only_if && strcmp(k->saved, k->only_if)))
			continue;
		k->changed = 1;	/* before writing: a signal may come in between */
		err = write_knob(k->path, k->wanted);
		if (err) {
			format_into(why, why_size, "cannot write %s: %s", k->path, errno_name(-err));
			goto undo;
		}
		note("set %s: %s -> %s", k->path, k->saved, k->wanted);
	}
	return 0;
undo:
	thp_knobs_restore();
	return -1;
}

void thp_knobs_restore(void)
{
	for (size_t i = N_KNOBS; i-- > 0;) {
		if (!knobs[i].changed)
			continue;
		write_knob(knobs[i].path, knobs[i].saved);
		knobs[i].changed = 0;
	}
}

long read_sysfs_long(const char *path)
{
	char value[32], *end;
	long number;

	if (read_knob(path, value, sizeof(value)))
		return -1;
	number = strtol(value, &end, 10);
	return *end ? -1 : number;
}
