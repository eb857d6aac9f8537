#define _GNU_SOURCE
#include "lifecycle.h"
#include "cg_exit_guard.h"

#include <signal.h>
#include <sys/wait.h>

#define MAX_TRACKED 4

static volatile sig_atomic_t tracked[MAX_TRACKED];

/* A clean-up of the exit guard: async-signal-safe. */
static void kill_tracked(void)
{
	for (size_t i = 0; i < MAX_TRACKED; i++) {
		pid_t pid = (pid_t)tracked[i];

		if (pid <= 0)
			continue;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		tracked[i] = 0;
	}
}

void lifecycle_init(void)
{
	/* Writes to a dead child's pipe must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	cg_exit_guard_install(CG_GUARD_KEEP_PIPE);
	cg_exit_guard_add(kill_tracked);
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
	cg_exit_guard_forget();
	for (size_t i = 0; i < MAX_TRACKED; i++)
		tracked[i] = 0;
}
