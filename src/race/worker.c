#define _GNU_SOURCE
#include "worker.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WORKER_STACK (256UL << 10)

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	atomic_store(&w->tid, (int)gettid());
	w->result = w->fn(w->arg);
	w->ended_ms = now_ms();
	atomic_store(&w->done, true);
	return NULL;
}

int worker_start(struct worker *w, const char *name, long (*fn)(void *arg), void *arg)
{
	pthread_attr_t attr;
	int err;

	if (w->created && !w->joined)
		return -EBUSY;	/* still running or abandoned: never reuse */
	memset(w, 0, sizeof(*w));
	w->name = name;
	w->fn = fn;
	w->arg = arg;
	atomic_init(&w->done, false);
	atomic_init(&w->tid, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	w->started_ms = now_ms();
	err = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	w->created = true;
	return 0;
}

bool worker_done(struct worker *w)
{
	return atomic_load(&w->done);
}

bool worker_wait(struct worker *w, long timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	if (!w->created)
		return true;
	while (!atomic_load(&w->done)) {
		if (now_ms() >= deadline)
			return false;
		sleep_ms(2);
	}
	return true;
}

bool worker_finish(struct worker *w, long timeout_ms)
{
	if (!w->created || w->joined)
		return true;
	if (w->abandoned)
		return false;
	if (!worker_wait(w, timeout_ms)) {
		note("%s: still running after %ld ms, left behind", w->name, timeout_ms);
		pthread_detach(w->thread);
		w->abandoned = true;
		return false;
	}
	pthread_join(w->thread, NULL);
	w->joined = true;
	return true;
}

long worker_elapsed_ms(const struct worker *w)
{
	return (long)(w->ended_ms - w->started_ms);
}

char worker_state(struct worker *w)
{
	char path[48], stat[512], *paren;
	int tid = atomic_load(&w->tid), fd;
	ssize_t got;

	if (!tid || atomic_load(&w->done))
		return '?';
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	got = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (got <= 0)
		return '?';
	stat[got] = '\0';
	/* "tid (comm) S ...": comm may hold anything, the state follows the last ')' */
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] ? paren[2] : '?';
}

bool worker_wait_blocked(struct worker *w, long timeout_ms, char *last)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		*last = worker_state(w);
		if (*last == 'D')
			return true;
		if (atomic_load(&w->done) || now_ms() >= deadline)
			return false;
		sleep_ms(2);
	}
}
