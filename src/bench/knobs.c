#define _GNU_SOURCE
#include "knobs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct knob {
	const char *path;
	const char *wanted;
	const char *only_if;	/* change only from this value */
	char saved[32];
	volatile sig_atomic_t changed;
};

/* Applied in this order, restored in reverse. */
static struct knob knobs[] = {
	{ KHUGEPAGED_DIR "/max_ptes_none", "511", NULL, "", 0 },
	{ KHUGEPAGED_DIR "/pages_to_scan", "4096", NULL, "", 0 },
	{ KHUGEPAGED_DIR "/scan_sleep_millisecs", "10", NULL, "", 0 },
	{ KHUGEPAGED_DIR "/alloc_sleep_millisecs", "10", NULL, "", 0 },
	/* khugepaged does not run at all while anonymous THP is "never". */
	{ THP_DIR "/enabled", "madvise", "never", "", 0 },
	{ THP_DIR "/shmem_enabled", "advise", NULL, "", 0 },
};
#define N_KNOBS (sizeof(knobs) / sizeof(knobs[0]))

/* "always [madvise] never" gives "madvise", "511\n" gives "511". */
static int read_value(const char *path, char *value, size_t size)
{
	char raw[256], *start, *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -1;
	got = read(fd, raw, sizeof(raw) - 1);
	close(fd);
	if (got < 0)
		return -1;
	raw[got] = '\0';
	start = strchr(raw, '[');
	if (start) {
		end = strchr(++start, ']');
	} else {
		start = raw;
		end = start + strcspn(start, " \n");
	}
	if (!end || (size_t)(end - start) >= size)
		return -1;
	memcpy(value, start, (size_t)(end - start));
	value[end - start] = '\0';
	return 0;
}

static int write_value(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t put;

	if (fd < 0)
		return -1;
	put = write(fd, value, len);
	close(fd);
	return put == (ssize_t)len ? 0 : -1;
}

int knobs_apply(void)
{
	for (size_t i = 0; i < N_KNOBS; i++) {
		struct knob *k = &knobs[i];

		if (read_value(k->path, k->saved, sizeof(k->saved))) {
			fail("cannot read %s: %s", k->path, errno_name(errno));
			goto undo;
		}
		if (!strcmp(k->saved, k->wanted) || (k->only_if && strcmp(k->saved, k->only_if)))
			continue;
		k->changed = 1;	/* first: the watchdog may fire in between */
		if (write_value(k->path, k->wanted)) {
			fail("cannot write %s: %s", k->path, errno_name(errno));
			goto undo;
		}
		note("set %s: %s -> %s", k->path, k->saved, k->wanted);
	}
	return 0;
undo:
	knobs_restore();
	return -1;
}

void knobs_restore(void)
{
	for (size_t i = N_KNOBS; i-- > 0;) {
		if (!knobs[i].changed)
			continue;
		write_value(knobs[i].path, knobs[i].saved);
		knobs[i].changed = 0;
	}
}
