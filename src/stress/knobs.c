#define _GNU_SOURCE
#include "knobs.h"
#include "util.h"

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
