#define _GNU_SOURCE
#include "knobs.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_KNOBS 32
#define THP_DIR "/sys/kernel/mm/transparent_hugepage"

struct knob {
	char path[160];
	char saved[64];
};

static struct knob knobs[MAX_KNOBS];
static volatile sig_atomic_t nknobs;

int knob_set(const char *path, const char *value)
{
	struct knob *k = NULL;
	int err;

	for (int i = 0; i < nknobs; i++)
		if (!strcmp(knobs[i].path, path))
			k = &knobs[i];
	if (!k) {
		if (nknobs == MAX_KNOBS)
			return -ENOSPC;
		k = &knobs[nknobs];
		snprintf(k->path, sizeof(k->path), "%s", path);
		err = read_knob(path, k->saved, sizeof(k->saved));
		if (err)
			return err;
		nknobs++;	/* saved before the first write */
	}
	return write_file(path, value);
}

void knobs_restore(void)
{
	/* Reverse order; open/write/close only (signal handlers call this). */
	while (nknobs > 0) {
		struct knob *k = &knobs[nknobs - 1];
		int fd = open(k->path, O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, k->saved, strlen(k->saved)) < 0) {
				/* nothing more to do from here */
			}
			close(fd);
		}
		nknobs--;
	}
}

int thp_knobs_apply(int scan_sleep_ms)
{
	char sleep_value[16], cur[32];
	const struct { const char *path; const char *value; } wanted[] = {
		{ THP_DIR "/khugepaged/max_ptes_none", "511" },
		{ THP_DIR "/khugepaged/pages_to_scan", "4096" },
		{ THP_DIR "/khugepaged/alloc_sleep_millisecs", "10" },
		{ THP_DIR "/khugepaged/scan_sleep_millisecs", sleep_value },
		{ THP_DIR "/shmem_enabled", "advise" },
	};
	int err;

	snprintf(sleep_value, sizeof(sleep_value), "%d", scan_sleep_ms);
	/* 6.1 stops khugepaged altogether while anonymous THP is "never". */
	if (!read_knob(THP_DIR "/enabled", cur, sizeof(cur)) && !strcmp(cur, "never")) {
		err = knob_set(THP_DIR "/enabled", "madvise");
		if (err) {
			warnx_("cannot set %s/enabled: %s", THP_DIR, errno_name(-err));
			return err;
		}
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		err = knob_set(wanted[i].path, wanted[i].value);
		if (err) {
			warnx_("cannot set %s: %s", wanted[i].path, errno_name(-err));
			return err;
		}
	}
	return 0;
}

/* Sets path to value when its current value is one of the comma-separated unwanted. */
static int knob_replace(const char *path, const char *unwanted, const char *value)
{
	char cur[32], list[64], *save, *word;
	int err = read_knob(path, cur, sizeof(cur));

	if (err)
		return err;
	snprintf(list, sizeof(list), "%s", unwanted);
	for (word = strtok_r(list, ",", &save); word; word = strtok_r(NULL, ",", &save))
		if (!strcmp(cur, word))
			return knob_set(path, value);
	return 0;
}

int thp_knobs_small_shmem_writes(void)
{
	DIR *dir;
	struct dirent *d;
	int err;

	err = knob_replace(THP_DIR "/shmem_enabled", "always,within_size,force,deny", "advise");
	if (err) {
		warnx_("cannot set %s/shmem_enabled: %s", THP_DIR, errno_name(-err));
		return err;
	}
	dir = opendir(THP_DIR);
	if (!dir)
		return 0;	/* no mTHP sizes on this kernel */
	while ((d = readdir(dir))) {
		char path[160];

		if (strncmp(d->d_name, "hugepages-", 10))
			continue;
		format_into(path, sizeof(path), "%s/%s/shmem_enabled", THP_DIR, d->d_name);
		if (access(path, F_OK))
			continue;
		err = knob_replace(path, "always,within_size", "inherit");
		if (err) {
			warnx_("cannot set %s: %s", path, errno_name(-err));
			break;
		}
	}
	closedir(dir);
	return err;
}
