#define _GNU_SOURCE
#include "pager.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int uffd_register_missing(int uffd, void *addr, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

int uffd_unregister(int uffd, void *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	return ioctl(uffd, UFFDIO_UNREGISTER, &range) ? -errno : 0;
}

static int uffd_copy_page(int uffd, char *dst, const void *src)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)dst,
		.src = (uintptr_t)src,
		.len = page_size,
	};

	return ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;
}

/* One caller at a time per buffer: a row runs one copy and one write at most. */
int uffd_copy_served(int uffd, char *dst, size_t index)
{
	static uint64_t page[PAGE_SIZE_SUPPORTED / sizeof(uint64_t)];

	pattern_fill(page, MARK_SERVED, index);
	return uffd_copy_page(uffd, dst, page);
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

static void uffd_wake(int uffd, char *addr)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = page_size };

	(void)ioctl(uffd, UFFDIO_WAKE, &range);
}

static void serve_fault(struct monitor *m, uintptr_t address)
{
	char *page = (char *)(address & ~(uintptr_t)(page_size - 1));
	size_t index = (size_t)(page - m->base) / page_size;
	int err;

	if (page < m->base || index >= extent_pages())
		return;
	if (atomic_fetch_add(&m->events[index], 1) == 0)
		atomic_store(&m->first_event_ms[index], now_ms());
	atomic_fetch_add(&m->total_events, 1);
	pattern_fill(m->page, MARK_SERVED, index);
	err = uffd_copy_page(m->uffd, page, m->page);
	if (!err)
		return;
	if (err == -EEXIST)
		atomic_fetch_add(&m->copy_eexist, 1);
	else
		atomic_store(&m->copy_errno, -err);
	/* Whatever filled the page meanwhile: let the faulting thread retry. */
	uffd_wake(m->uffd, page);
}

static long monitor_main(void *arg)
{
	struct monitor *m = arg;

	while (!atomic_load(&m->stop)) {
		struct pollfd pfd = { .fd = m->uffd, .events = POLLIN };
		struct uffd_msg msg;
		ssize_t got;
		int ready;

		ready = poll(&pfd, 1, 20);

		if (ready < 0 && errno != EINTR) {
			atomic_store(&m->read_errno, errno);
			return -errno;
		}
		if (ready <= 0)
			continue;
		if (pfd.revents & (POLLERR | POLLNVAL)) {
			atomic_store(&m->read_errno, EBADF);
			return -EBADF;
		}
		got = read(m->uffd, &msg, sizeof(msg));
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			atomic_store(&m->read_errno, errno);
			return -errno;
		}
		if (got == (ssize_t)sizeof(msg) && msg.event == UFFD_EVENT_PAGEFAULT)
			serve_fault(m, (uintptr_t)msg.arg.pagefault.address);
	}
	return 0;
}

int monitor_start(struct monitor *m, int uffd, char *base)
{
	m->uffd = uffd;
	m->base = base;
	atomic_init(&m->stop, false);
	for (size_t i = 0; i < EXTENT_PAGES_MAX; i++) {
		atomic_init(&m->events[i], 0);
		atomic_init(&m->first_event_ms[i], 0);
	}
	atomic_init(&m->total_events, 0);
	atomic_init(&m->copy_eexist, 0);
	atomic_init(&m->copy_errno, 0);
	atomic_init(&m->read_errno, 0);
	return worker_start(&m->worker, "uffd monitor", monitor_main, m);
}

bool monitor_running(struct monitor *m)
{
	return m->worker.created && !m->worker.joined && !m->worker.abandoned;
}

bool monitor_stop(struct monitor *m, long timeout_ms)
{
	if (!m->worker.created)
		return true;
	atomic_store(&m->stop, true);
	return worker_finish(&m->worker, timeout_ms);
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
	t->content = PAGE_UNREAD;
	return worker_start(&t->worker, "the read through the armed mapping", toucher_main, t);
}
