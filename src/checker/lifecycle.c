#define _GNU_SOURCE
#include "lifecycle.h"
#include "thp_knobs.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

#define MAX_TRACKED 4

static pid_t owner_pid;
static volatile sig_atomic_t tracked[MAX_TRACKED];

static void kill_tracked(bool wait)
{
	for (size_t i = 0; i < MAX_TRACKED; i++) {
		pid_t pid = (pid_t)tracked[i];

		if (pid <= 0)
			continue;
		kill(pid, SIGKILL);
		if (wait)
			waitpid(pid, NULL, 0);
	}
}

static void on_fatal_signal(int sig)
{
	/* A child forked before it reset its handlers must not touch sysfs. */
	if (getpid() == owner_pid) {
		thp_knobs_restore();
		kill_tracked(true);
	}
	raise(sig);	/* SA_RESETHAND: the default action now ends us */
}

static void at_exit(void)
{
	if (getpid() != owner_pid)
		return;
	kill_tracked(false);
	thp_knobs_restore();
}

void lifecycle_init(void)
{
	struct sigaction sa;

	owner_pid = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_FATAL; i++)
		sigaction(fatal_signals[i], &sa, NULL);
	/* Writes to a dead child's pipe must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	atexit(at_exit);
}

void lifecycle_track_child(pid_t pid)
{
	for (size_t i = 0; i < MAX_TRACKED; i++) {
		if (tracked[i] <= 0) {
			tracked[i] = pid;
			return;
		}
	}
}

void lifecycle_untrack_child(pid_t pid)
{
	for (size_t i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}

void lifecycle_forget_in_child(void)
{
	for (size_t i = 0; i < N_FATAL; i++)
		signal(fatal_signals[i], SIG_DFL);
	for (size_t i = 0; i < MAX_TRACKED; i++)
		tracked[i] = 0;
}
