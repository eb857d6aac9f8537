#define _GNU_SOURCE
#include "pager.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* One caller at a time per buffer: a row runs one copy and one write at most. */
int uffd_copy_served(int uffd, char *dst, size_t index)
{
	static uint64_t page[PAGE_SIZE_SUPPORTED / sizeof(uint64_t)];

	pattern_fill(page, MARK_SERVED, index);
	return cg_uffd_copy(uffd, (uintptr_t)dst, page, page_size);
}

int pwrite_served(int fd, size_t index)
{
	static uint64_t page[PAGE_SIZE_SUPPORTED / sizeof(uint64_t)];
	ssize_t done;

	pattern_fill(page, MARK_SERVED, index);
	done = pwrite(fd, page, page_size, (off_t)(index * page_size));
	if (done < 0)
		return -errno;
	return done == (ssize_t)page_size ? 0 : -EIO;
}

/* Counts the fault and serves MARK_SERVED for its page. */
static bool fill_served(struct cg_pager *pager, uintptr_t dst, void *page)
{
	struct monitor *m = pager->arg;
	size_t index = (size_t)(dst - (uintptr_t)m->base) / page_size;

	if (dst < (uintptr_t)m->base || index >= pages_per_extent())
		return false;
	if (atomic_fetch_add(&m->events[index], 1) == 0)
		atomic_store(&m->first_event_ms[index], now_ms());
	atomic_fetch_add(&m->total_events, 1);
	pattern_fill(page, MARK_SERVED, index);
	return true;
}

static long monitor_main(void *arg)
{
	return cg_pager_run(arg);
}

int monitor_start(struct monitor *m, int uffd, char *base)
{
	int err = cg_pager_init(&m->pager, uffd, fill_served, m);

	if (err)
		return err;
	m->base = base;
	for (size_t i = 0; i < EXTENT_PAGES_MAX; i++) {
		atomic_init(&m->events[i], 0);
		atomic_init(&m->first_event_ms[i], 0);
	}
	atomic_init(&m->total_events, 0);
	return worker_start(&m->worker, "uffd monitor", monitor_main, &m->pager);
}

bool monitor_running(struct monitor *m)
{
	return m->worker.created && !m->worker.joined && !m->worker.abandoned;
}

bool monitor_stop(struct monitor *m, long timeout_ms)
{
	if (!m->worker.created)
		return true;
	atomic_store(&m->pager.stop, true);
	if (!worker_finish(&m->worker, timeout_ms))
		return false;	/* the thread may still use the pager's page */
	cg_pager_stop(&m->pager);
	return true;
}

static long toucher_main(void *arg)
{
	struct toucher *t = arg;

	t->content = page_classify(t->map + t->index * page_size, t->index);
	return 0;
}

int toucher_start(struct toucher *t, const char *map, size_t index)
{
	t->map = map;
	t->index = index;
	t->content = CG_PAGE_UNREAD;
	return worker_start(&t->worker, "the read through the armed mapping", toucher_main, t);
}
