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

/* Only async-signal-safe calls: used by the restoring signal handler. */
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

int cg_knobs_apply(struct cg_knob *knobs, size_t n, char *why, size_t why_size)
{
	for (size_t i = 0; i < n; i++) {
		struct cg_knob *k = &knobs[i];
		int err = cg_knob_read(k->path, k->saved, sizeof(k->saved));

		if (err) {
			format_into(why, why_size, "cannot read %s: %s", k->path, errno_name(-err));
			goto undo;
		}
		if (!strcmp(k->saved, k->wanted) || (k->only_if && strcmp(k->saved, k->only_if)))
			continue;
		k->changed = 1;	/* first: a signal may arrive during the write */
		err = cg_knob_write(k->path, k->wanted);
		if (err) {
			format_into(why, why_size, "cannot write %s to %s: %s", k->wanted, k->path,
				    errno_name(-err));
			goto undo;
		}
	}
	return 0;
undo:
	cg_knobs_restore(knobs, n);
	return -1;
}

void cg_knobs_restore(struct cg_knob *knobs, size_t n)
{
	int saved_errno = errno;

	for (size_t i = n; i-- > 0;) {
		if (!knobs[i].changed)
			continue;
		cg_knob_write(knobs[i].path, knobs[i].saved);
		knobs[i].changed = 0;
	}
	errno = saved_errno;
}

static struct cg_knob *guarded;
static size_t n_guarded;
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
static const int term_signals[] = { SIGHUP, SIGINT, SIGTERM, SIGQUIT };

static void restore_and_die(int sig)
{
	if (guarded)
		cg_knobs_restore(guarded, n_guarded);
	/* SA_RESETHAND put the default action back, SA_NODEFER lets it in now. */
	raise(sig);
}

static void set_handler(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (handler != SIG_DFL)
		sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigaction(sig, &sa, NULL);
}

static int guard_mask;

static void guard_all(void (*handler)(int))
{
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		set_handler(fatal_signals[i], handler);
	if (!(guard_mask & CG_GUARD_KEEP_TERM))
		for (size_t i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
			set_handler(term_signals[i], handler);
	if (!(guard_mask & CG_GUARD_KEEP_PIPE))
		set_handler(SIGPIPE, handler);
}

void cg_knobs_guard_signals(struct cg_knob *knobs, size_t n, int handled_elsewhere_mask)
{
	guarded = knobs;
	n_guarded = n;
	guard_mask = handled_elsewhere_mask;
	guard_all(restore_and_die);
}

void cg_knobs_unguard(void)
{
	if (!guarded)
		return;
	guard_all(SIG_DFL);
	guarded = NULL;
	n_guarded = 0;
}
