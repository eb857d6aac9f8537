#define _GNU_SOURCE
#include "cg_knob_hold.h"
#include "cg_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define LOCK_POLL_MS 100

static struct cg_knob *held;
static size_t n_held;
static volatile sig_atomic_t lock_fd = -1;
static bool (*wait_stopped)(void);

void cg_knobs_wait_unless(bool (*stop_requested)(void))
{
	wait_stopped = stop_requested;
}

/* A clean-up of the exit guard: async-signal-safe. */
static void give_back_held(void)
{
	if (held && cg_knobs_restore(held, n_held) == 0)
		cg_knob_record_remove();
	held = NULL;
	if (lock_fd >= 0) {
		close(lock_fd);	/* lets go of the lock */
		lock_fd = -1;
	}
}

static pid_t lock_holder(int fd)
{
	struct flock probe = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_GETLK, &probe) || probe.l_type == F_UNLCK)
		return 0;
	return probe.l_pid;
}

static int take_lock(long wait_ms, char *why, size_t why_size)
{
	struct flock whole = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	long long give_up = now_ms() + wait_ms, start = now_ms();
	pid_t told = 0;
	int fd, err = cg_run_dir_make();

	if (err) {
		format_into(why, why_size, "cannot create %s: %s", CG_RUN_DIR, errno_name(-err));
		return -1;
	}
	fd = open(CG_KNOB_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		format_into(why, why_size, "cannot open %s: %s", CG_KNOB_LOCK, errno_name(errno));
		return -1;
	}
	while (fcntl(fd, F_SETLK, &whole)) {
		pid_t holder;

		if (errno != EACCES && errno != EAGAIN && errno != EINTR) {
			format_into(why, why_size, "cannot lock %s: %s", CG_KNOB_LOCK,
				    errno_name(errno));
			close(fd);
			return -1;
		}
		holder = lock_holder(fd);
		if (wait_stopped && wait_stopped()) {
			format_into(why, why_size, "asked to stop while pid %d held the THP knobs (%s)",
				    (int)holder, CG_KNOB_LOCK);
			close(fd);
			return -1;
		}
		if (now_ms() >= give_up) {
			format_into(why, why_size, "pid %d has held the THP knobs (%s) for over %ld s",
				    (int)holder, CG_KNOB_LOCK, wait_ms / 1000);
			close(fd);
			return -1;
		}
		if (holder && holder != told) {
			fprintf(stderr, "%s: waiting for pid %d, which holds the THP knobs (%s)\n",
				cg_prog_name, (int)holder, CG_KNOB_LOCK);
			told = holder;
		}
		sleep_ms(LOCK_POLL_MS);
	}
	if (told)
		fprintf(stderr, "%s: got the THP knobs after %lld ms\n", cg_prog_name,
			now_ms() - start);
	lock_fd = fd;
	return 0;
}

/* With the lock held and signals blocked. */
static int save_record_change(struct cg_knob *knobs, size_t n, char *why, size_t why_size)
{
	int err;

	if (cg_knob_record_recover(why, why_size) || cg_knobs_save(knobs, n, why, why_size))
		return -1;
	err = cg_knob_record_write(knobs, n);
	if (err) {
		format_into(why, why_size, "cannot write %s: %s (knobs left alone)",
			    CG_KNOB_RECORD, errno_name(-err));
		return -1;
	}
	n_held = n;
	held = knobs;
	return cg_knobs_change(knobs, n, why, why_size);
}

int cg_knobs_take(struct cg_knob *knobs, size_t n, long wait_ms, char *why, size_t why_size)
{
	sigset_t all, old;
	int ret;

	if (take_lock(wait_ms, why, why_size))
		return -1;
	cg_exit_guard_install(0);
	cg_exit_guard_add(give_back_held);
	/* A signal now would find the knobs half-recorded: it waits. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = save_record_change(knobs, n, why, why_size);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		cg_knobs_give_back();
	return ret;
}

void cg_knobs_give_back(void)
{
	sigset_t all, old;

	/* A signal waits until the knobs are back, then ends the process. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	give_back_held();
	cg_exit_guard_remove(give_back_held);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void cg_knobs_recover_if_free(void)
{
	char why[256];

	if (access(CG_KNOB_RECORD, F_OK) || take_lock(0, why, sizeof(why)))
		return;
	if (cg_knob_record_recover(why, sizeof(why)))
		fprintf(stderr, "%s: %s\n", cg_prog_name, why);
	close(lock_fd);
	lock_fd = -1;
}
