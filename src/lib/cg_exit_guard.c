#define _GNU_SOURCE
#include "cg_exit_guard.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLEANUPS 8

static cg_cleanup_fn cleanups[MAX_CLEANUPS];
static volatile sig_atomic_t n_cleanups;
static pid_t owner_pid;
static int kept_mask;
static bool installed;
/* 0 idle, 1 a thread runs the clean-ups, 2 they are done. */
static int cleanup_state;

static const int term_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
static const int other_signals[] = {
	SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2, SIGALRM,
	SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool guarded_signal(int sig)
{
	for (size_t i = 0; i < N_OF(term_signals); i++)
		if (sig == term_signals[i])
			return !(kept_mask & CG_GUARD_KEEP_TERM);
	if (sig == SIGPIPE)
		return !(kept_mask & CG_GUARD_KEEP_PIPE);
	for (size_t i = 0; i < N_OF(other_signals); i++)
		if (sig == other_signals[i])
			return true;
	return sig >= SIGRTMIN && sig <= SIGRTMAX;
}

/* Runs every clean-up once per process, whoever calls first; the others wait. */
static void run_cleanups_once(void)
{
	int idle = 0;

	if (getpid() != owner_pid)
		return;
	if (!__atomic_compare_exchange_n(&cleanup_state, &idle, 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST)) {
		struct timespec ms = { 0, 1000000 };

		while (__atomic_load_n(&cleanup_state, __ATOMIC_SEQ_CST) != 2)
			nanosleep(&ms, NULL);
		return;
	}
	for (int i = n_cleanups; i-- > 0;)
		if (cleanups[i])
			cleanups[i]();
	__atomic_store_n(&cleanup_state, 2, __ATOMIC_SEQ_CST);
}

static void set_disposition(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	/* Every other signal waits while the handler runs. */
	sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void on_fatal_signal(int sig)
{
	int saved_errno = errno;
	sigset_t just_this;

	run_cleanups_once();
	/* Die of the signal as if nobody had caught it. */
	set_disposition(sig, SIG_DFL);
	raise(sig);
	sigemptyset(&just_this);
	sigaddset(&just_this, sig);
	pthread_sigmask(SIG_UNBLOCK, &just_this, NULL);
	errno = saved_errno;	/* a fault signal raised by the kernel comes back on return */
}

static void at_exit(void)
{
	/* A signal now must not interrupt the clean-ups in this thread. */
	cg_exit_guard_run();
}

static void set_all(void (*handler)(int))
{
	for (int sig = 1; sig <= SIGRTMAX; sig++)
		if (guarded_signal(sig))
			set_disposition(sig, handler);
}

void cg_exit_guard_install(int keep_mask)
{
	owner_pid = getpid();
	if (installed)
		return;
	installed = true;
	kept_mask = keep_mask;
	set_all(on_fatal_signal);
	atexit(at_exit);
}

void cg_exit_guard_add(cg_cleanup_fn cleanup)
{
	for (int i = 0; i < n_cleanups; i++)
		if (cleanups[i] == cleanup)
			return;
	for (int i = 0; i < n_cleanups; i++) {
		if (!cleanups[i]) {
			cleanups[i] = cleanup;
			return;
		}
	}
	if (n_cleanups < MAX_CLEANUPS) {
		cleanups[n_cleanups] = cleanup;
		n_cleanups = n_cleanups + 1;	/* after the slot: a signal may come in between */
	}
}

void cg_exit_guard_remove(cg_cleanup_fn cleanup)
{
	for (int i = 0; i < n_cleanups; i++)
		if (cleanups[i] == cleanup)
			cleanups[i] = NULL;
}

void cg_exit_guard_run(void)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	run_cleanups_once();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void cg_exit_guard_forget(void)
{
	if (installed)
		set_all(SIG_DFL);
	installed = false;
	owner_pid = 0;
	for (int i = 0; i < MAX_CLEANUPS; i++)
		cleanups[i] = NULL;
	n_cleanups = 0;
}
