#define _GNU_SOURCE
#include "cg_knobs.h"
#include "cg_util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int cg_knob_read(const char *path, char *value, size_t size)
{
	char raw[256];
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	got = read(fd, raw, sizeof(raw) - 1);
	if (got < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	raw[got] = '\0';
	return knob_value(raw, value, size);
}

int cg_knob_write(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t put;
	int err = 0, fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	put = write(fd, value, len);
	if (put < 0)
		err = -errno;
	else if ((size_t)put != len)
		err = -EIO;
	close(fd);
	return err;
}

int cg_knobs_save(struct cg_knob *knobs, size_t n, char *why, size_t why_size)
{
	for (size_t i = 0; i < n; i++) {
		int err = cg_knob_read(knobs[i].path, knobs[i].saved, sizeof(knobs[i].saved));

		if (err) {
			format_into(why, why_size, "cannot read %s: %s", knobs[i].path,
				    errno_name(-err));
			return -1;
		}
	}
	return 0;
}

/* Whether value is one of the comma-separated words of list. */
static bool one_of(const char *value, const char *list)
{
	size_t len = strlen(value);

	for (const char *word = list; word; word = strchr(word, ',') ? strchr(word, ',') + 1 : NULL)
		if (!strncmp(word, value, len) && (word[len] == ',' || word[len] == '\0'))
			return true;
	return false;
}

bool cg_knob_needs_change(const struct cg_knob *k)
{
	return strcmp(k->saved, k->wanted) && (!k->only_if || one_of(k->saved, k->only_if));
}

int cg_knob_change_to(struct cg_knob *k, const char *value)
{
	k->changed = 1;	/* first: a signal may arrive during the write */
	return cg_knob_write(k->path, value);
}

int cg_knobs_change(struct cg_knob *knobs, size_t n, char *why, size_t why_size)
{
	for (size_t i = 0; i < n; i++) {
		struct cg_knob *k = &knobs[i];
		int err;

		if (!cg_knob_needs_change(k))
			continue;
		k->changed = 1;	/* first: a signal may arrive during the write */
		err = cg_knob_write(k->path, k->wanted);
		if (err) {
			format_into(why, why_size, "cannot write %s to %s: %s", k->wanted, k->path,
				    errno_name(-err));
			cg_knobs_restore(knobs, n);
			return -1;
		}
		note("set %s: %s -> %s", k->path, k->saved, k->wanted);
	}
	return 0;
}

int cg_knobs_apply(struct cg_knob *knobs, size_t n, char *why, size_t why_size)
{
	if (cg_knobs_save(knobs, n, why, why_size))
		return -1;
	return cg_knobs_change(knobs, n, why, why_size);
}

int cg_knobs_restore(struct cg_knob *knobs, size_t n)
{
	int saved_errno = errno, failed = 0;

	for (size_t i = n; i-- > 0;) {
		if (!knobs[i].changed)
			continue;
		if (cg_knob_write(knobs[i].path, knobs[i].saved))
			failed++;
		else
			knobs[i].changed = 0;
	}
	errno = saved_errno;
	return failed;
}

static struct cg_knob *guarded;
static size_t n_guarded;

static void restore_guarded(void)
{
	if (guarded)
		cg_knobs_restore(guarded, n_guarded);
}

void cg_knobs_guard_signals(struct cg_knob *knobs, size_t n, int handled_elsewhere_mask)
{
	n_guarded = n;
	guarded = knobs;
	cg_exit_guard_install(handled_elsewhere_mask);
	cg_exit_guard_add(restore_guarded);
}

void cg_knobs_unguard(void)
{
	cg_exit_guard_remove(restore_guarded);
	guarded = NULL;
	n_guarded = 0;
}
