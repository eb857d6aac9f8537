/*
 * Helper threads whose end is waited for with a bound: the collapse, a
 * racing punch, truncation or registration, a toucher. A worker runs one
 * function once; its result is a long (0 or -errno by convention).
 *
 * Threads are created with a small stack and never allocate, so that a
 * row can create them before it parks the collapse and then rely on them
 * not to need mmap_lock for write.
 */
#ifndef COLLAPSE_RACE_WORKER_H
#define COLLAPSE_RACE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct worker {
	const char *name;
	long (*fn)(void *arg);
	void *arg;
	pthread_t thread;
	bool created;
	bool joined;
	bool abandoned;		/* still running when given up: not joined */
	atomic_int tid;			/* the thread's id, once it runs */
	atomic_bool done;
	long result;
	long long started_ms;
	long long ended_ms;
};

/* 0, or -errno when the thread could not be created. */
int worker_start(struct worker *w, const char *name, long (*fn)(void *arg), void *arg);
bool worker_done(struct worker *w);
/* Waits up to timeout_ms for the function to return. */
bool worker_wait(struct worker *w, long timeout_ms);
/*
 * Waits up to timeout_ms, then joins. A worker that is still running is
 * detached and marked abandoned: its struct worker and argument must stay
 * valid, which is why rows keep them in static storage. True if the
 * function returned (or the worker was never started).
 */
bool worker_finish(struct worker *w, long timeout_ms);
long worker_elapsed_ms(const struct worker *w);

/*
 * The scheduler state of the worker's thread ('R', 'S', 'D', ...) from
 * /proc/self/task/TID/stat, or '?' (not running yet, finished, unreadable).
 * Reads with open/read on a stack buffer: no mmap_lock, no allocation.
 */
char worker_state(struct worker *w);
/*
 * Waits up to timeout_ms until the thread sleeps uninterruptibly ('D'):
 * blocked in the kernel on a page lock or a rwsem. False if it finished or
 * never got there; *last is the last state seen.
 */
bool worker_wait_blocked(struct worker *w, long timeout_ms, char *last);

#endif
