#define _GNU_SOURCE
#include "monitor.h"
#include "content.h"
#include "shared.h"
#include "cg_uffd.h"
#include "util.h"

#include <errno.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_FDS   256
#define MAX_MAPS  128
#define MSG_BATCH 16

struct entry {
	int fd;
	int closing;
	int is_fork;
	unsigned long fork_seq;
};

static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t set_changed = PTHREAD_COND_INITIALIZER;
static struct entry set[MAX_FDS];
static int nset;
static int wake_fd = -1;
static pthread_t thread;
static atomic_int quit;
static atomic_ulong fork_seq, forget_upto;

struct mapping {
	uintptr_t start, end;
	unsigned long pgoff;
	int used;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapping maps[MAX_MAPS];

int registry_add(void *addr, size_t len, unsigned long pgoff)
{
	int id = -1;

	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAX_MAPS; i++) {
		if (!maps[i].used) {
			maps[i] = (struct mapping){ (uintptr_t)addr, (uintptr_t)addr + len, pgoff, 1 };
			id = i;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return id;
}

void registry_move(int id, void *addr, size_t len)
{
	pthread_mutex_lock(&reg_lock);
	maps[id].start = (uintptr_t)addr;
	maps[id].end = (uintptr_t)addr + len;
	pthread_mutex_unlock(&reg_lock);
}

void registry_del(int id)
{
	pthread_mutex_lock(&reg_lock);
	maps[id].used = 0;
	pthread_mutex_unlock(&reg_lock);
}

/* The file page mapped at addr; -1 unknown, -2 ambiguous (a stress bug). */
static long registry_index(uintptr_t addr)
{
	long index = -1;

	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < MAX_MAPS; i++) {
		if (maps[i].used && maps[i].start <= addr && addr < maps[i].end) {
			if (index != -1) {
				index = -2;
				break;
			}
			index = (long)(maps[i].pgoff + (addr - maps[i].start) / PAGE_SZ);
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return index;
}

static void poke(void)
{
	uint64_t one = 1;

	if (write(wake_fd, &one, sizeof(one)) < 0)
		return;
}

static void add_locked(int fd, int is_fork, unsigned long seq)
{
	if (nset == MAX_FDS) {
		count_error("monitor: fd set full, closing uffd %d", fd);
		close(fd);
		return;
	}
	set[nset++] = (struct entry){ .fd = fd, .is_fork = is_fork, .fork_seq = seq };
}

int monitor_add(int uffd)
{
	pthread_mutex_lock(&set_lock);
	add_locked(uffd, 0, 0);
	pthread_mutex_unlock(&set_lock);
	poke();
	return 0;
}

/*
 * fork() copies the fd table before the mm: a uffd closed during a fork
 * stays alive in the unborn child, and if it has EVENT_FORK, the fork waits
 * for an event on it that nobody reads any more. Closing waits for forks.
 */
static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;

void monitor_fork_begin(void)
{
	pthread_mutex_lock(&fork_lock);
}

void monitor_fork_end(void)
{
	pthread_mutex_unlock(&fork_lock);
}

void monitor_close(int uffd)
{
	pthread_mutex_lock(&fork_lock);
	pthread_mutex_lock(&set_lock);
	for (int i = 0; i < nset; i++)
		if (set[i].fd == uffd)
			set[i].closing = 1;
	poke();
	for (;;) {
		int present = 0;

		/* Once closed, the same fd number may come back for a new uffd. */
		for (int i = 0; i < nset; i++)
			present |= set[i].fd == uffd && set[i].closing;
		if (!present)
			break;
		pthread_cond_wait(&set_changed, &set_lock);
	}
	pthread_mutex_unlock(&set_lock);
	pthread_mutex_unlock(&fork_lock);
}

unsigned long monitor_fork_fds(void)
{
	return atomic_load(&fork_seq);
}

void monitor_forget_forks(unsigned long n)
{
	atomic_store(&forget_upto, n);
	poke();
}

/*
 * Faults whose UFFDIO_COPY met EAGAIN (mmap_changing: a fork or remap event
 * of the same uffd is not read yet). Waking the faulter at once would make
 * it fault again before the event, and since a read returns pending faults
 * before events, the event would starve: they are retried after the reads.
 */
#define MAX_DEFERRED 1024

struct deferred {
	int fd;
	uintptr_t dst;
};

static struct deferred deferred[MAX_DEFERRED];
static int ndeferred;

static int serve(int uffd, uintptr_t address, void *buf, int retry)
{
	uintptr_t dst = address & ~(uintptr_t)(PAGE_SZ - 1);
	long index = registry_index(dst);
	int err;

	if (!retry)
		atomic_fetch_add_explicit(&G->faults, 1, memory_order_relaxed);
	if (index < 0) {
		count_error("monitor: fault at %#lx %s", (unsigned long)dst,
			    index == -1 ? "outside every known mapping" : "in two known mappings");
		cg_uffd_wake(uffd, dst, PAGE_SZ);
		return 0;
	}
	cg_stamp_fill(buf, PAGE_SZ,
		      cg_stamp(PAGER_MAGIC, atomic_load(&G->gen[index]), (unsigned long)index));
	err = cg_uffd_copy(uffd, dst, buf, PAGE_SZ);
	switch (-err) {
	case 0:
		atomic_fetch_add_explicit(&G->served, 1, memory_order_relaxed);
		return 0;
	case EEXIST:
		/* Supplied meanwhile (prefill, another pager): let it retry. */
		atomic_fetch_add_explicit(&G->copy_eexist, 1, memory_order_relaxed);
		break;
	case EAGAIN:
		/* The mm is changing (mremap, fork): retried after the event. */
		if (!retry)
			atomic_fetch_add_explicit(&G->copy_eagain, 1, memory_order_relaxed);
		if (retry)
			return -EAGAIN;
		if (ndeferred < MAX_DEFERRED) {
			deferred[ndeferred++] = (struct deferred){ uffd, dst };
			return -EAGAIN;
		}
		break;
	case ENOENT:
	case ESRCH:
		atomic_fetch_add_explicit(&G->copy_gone, 1, memory_order_relaxed);
		break;
	default:
		count_error("monitor: UFFDIO_COPY at %#lx (page %ld): %s",
			    (unsigned long)dst, index, errno_name(-err));
	}
	cg_uffd_wake(uffd, dst, PAGE_SZ);
	return 0;
}

static void retry_deferred(void *buf)
{
	for (int i = 0; i < ndeferred;) {
		if (serve(deferred[i].fd, deferred[i].dst, buf, 1) == -EAGAIN) {
			i++;
			continue;
		}
		deferred[i] = deferred[--ndeferred];
	}
}

static void forget_deferred(int fd)
{
	for (int i = 0; i < ndeferred;) {
		if (deferred[i].fd == fd)
			deferred[i] = deferred[--ndeferred];
		else
			i++;
	}
}

/* Reads every pending message of one uffd. */
static void drain(int uffd, void *buf)
{
	struct uffd_msg msgs[MSG_BATCH];

	for (;;) {
		ssize_t got = read(uffd, msgs, sizeof(msgs));

		if (got < 0) {
			if (errno != EAGAIN && errno != EINTR)
				count_error("monitor: read uffd: %s", errno_name(errno));
			return;
		}
		for (size_t i = 0; i < (size_t)got / sizeof(msgs[0]); i++) {
			struct uffd_msg *m = &msgs[i];

			switch (m->event) {
			case UFFD_EVENT_PAGEFAULT:
				serve(uffd, (uintptr_t)m->arg.pagefault.address, buf, 0);
				break;
			case UFFD_EVENT_FORK:
				atomic_fetch_add(&G->fork_events, 1);
				pthread_mutex_lock(&set_lock);
				add_locked((int)m->arg.fork.ufd, 1, atomic_fetch_add(&fork_seq, 1) + 1);
				pthread_mutex_unlock(&set_lock);
				break;
			case UFFD_EVENT_REMAP:
				atomic_fetch_add(&G->remap_events, 1);
				break;
			default:
				break;
			}
		}
		if ((size_t)got < sizeof(msgs))
			return;
	}
}

/*
 * Closes the entries asked for; set_lock held. Nothing is drained first: an
 * unread fork event of a closed uffd is a case the kernel handles (the
 * child's VMAs lose their registration).
 */
static void reap_locked(int all)
{
	unsigned long upto = atomic_load(&forget_upto);
	int changed = 0;

	for (int i = 0; i < nset;) {
		struct entry *e = &set[i];

		if (all || e->closing || (e->is_fork && e->fork_seq <= upto)) {
			forget_deferred(e->fd);
			close(e->fd);
			set[i] = set[--nset];
			changed = 1;
			continue;
		}
		i++;
	}
	if (changed)
		pthread_cond_broadcast(&set_changed);
}

static void *monitor_main(void *arg)
{
	struct pollfd pfds[MAX_FDS + 1];
	void *buf = aligned_alloc(PAGE_SZ, PAGE_SZ);

	(void)arg;
	if (!buf) {
		count_error("monitor: out of memory");
		return NULL;
	}
	while (!atomic_load(&quit)) {
		int n = 0;

		pthread_mutex_lock(&set_lock);
		reap_locked(0);
		for (int i = 0; i < nset; i++)
			pfds[n++] = (struct pollfd){ .fd = set[i].fd, .events = POLLIN };
		pthread_mutex_unlock(&set_lock);
		pfds[n++] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };

		if (poll(pfds, (nfds_t)n, ndeferred ? 1 : 100) <= 0) {
			retry_deferred(buf);
			continue;
		}
		for (int i = 0; i < n - 1; i++)
			if (pfds[i].revents & POLLIN)
				drain(pfds[i].fd, buf);
		retry_deferred(buf);
		if (pfds[n - 1].revents & POLLIN) {
			uint64_t v;

			if (read(wake_fd, &v, sizeof(v)) < 0)
				continue;
		}
	}
	pthread_mutex_lock(&set_lock);
	reap_locked(1);
	pthread_mutex_unlock(&set_lock);
	free(buf);
	return NULL;
}

int monitor_start(int proc)
{
	(void)proc;
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0)
		return -errno;
	atomic_store(&quit, 0);
	return -pthread_create(&thread, NULL, monitor_main, NULL);
}

void monitor_stop(void)
{
	atomic_store(&quit, 1);
	poke();
	pthread_join(thread, NULL);
	close(wake_fd);
	wake_fd = -1;
}
