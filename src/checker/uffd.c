#define _GNU_SOURCE
#include "uffd.h"
#include "memfd_map.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

#define WAKE_AFTER_CLOSE_MS 2000

static int open_by_syscall(int flags)
{
#ifdef __NR_userfaultfd
	int fd = (int)syscall(__NR_userfaultfd, flags);

	/* vm.unprivileged_userfaultfd=0 still allows user-mode-only faults. */
	if (fd < 0 && errno == EPERM)
		fd = (int)syscall(__NR_userfaultfd, flags | UFFD_USER_MODE_ONLY);
	return fd;
#else
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

static int open_by_device(int flags)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	int fd, err;

	if (dev < 0)
		return -1;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	err = errno;
	close(dev);
	errno = err;
	return fd;
}

int uffd_open(char *why, size_t why_size)
{
	const int flags = O_CLOEXEC | O_NONBLOCK;
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	int syscall_err = 0, fd = open_by_syscall(flags);

	if (fd < 0) {
		syscall_err = errno;
		fd = open_by_device(flags);
	}
	if (fd < 0) {
		format_into(why, why_size, "no userfaultfd (syscall %s, /dev/userfaultfd %s)",
			    errno_name(syscall_err), errno_name(errno));
		return -1;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		format_into(why, why_size, "UFFDIO_API: %s", errno_name(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int uffd_register_missing(int uffd, void *addr, size_t len, char *why, size_t why_size)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		format_into(why, why_size, "UFFDIO_REGISTER MISSING on memfd: %s",
			    errno_name(errno));
		return -1;
	}
	if (!(reg.ioctls & (1ULL << _UFFDIO_COPY))) {
		format_into(why, why_size, "UFFDIO_COPY not offered on memfd range");
		return -1;
	}
	return 0;
}

int uffd_unregister(int uffd, void *addr, size_t len, char *why, size_t why_size)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	if (ioctl(uffd, UFFDIO_UNREGISTER, &range)) {
		format_into(why, why_size, "UFFDIO_UNREGISTER: %s", errno_name(errno));
		return -1;
	}
	return 0;
}

struct toucher {
	const volatile unsigned char *page;
	unsigned char *copy;
	atomic_bool done;
};

static void *toucher_main(void *arg)
{
	struct toucher *t = arg;

	for (size_t i = 0; i < page_size; i++)
		t->copy[i] = t->page[i];
	atomic_store(&t->done, true);
	return NULL;
}

static bool all_bytes(const unsigned char *buf, unsigned char value)
{
	for (size_t i = 0; i < page_size; i++)
		if (buf[i] != value)
			return false;
	return true;
}

static enum touched_content classify(const unsigned char *copy)
{
	if (all_bytes(copy, SERVED_BYTE))
		return READ_SERVED;
	if (all_bytes(copy, 0))
		return READ_ZEROES;
	if (all_bytes(copy, POPULATED_BYTE))
		return READ_POPULATED;
	return READ_OTHER;
}

static void serve_fault(int uffd, const struct uffd_msg *msg, const void *served_page,
			struct touch_result *r)
{
	struct uffdio_copy copy = {
		.dst = msg->arg.pagefault.address & ~((__u64)page_size - 1),
		.src = (uintptr_t)served_page,
		.len = page_size,
	};

	for (int tries = 0; tries < 100; tries++) {
		copy.copy = 0;
		if (!ioctl(uffd, UFFDIO_COPY, &copy)) {
			r->served = true;
			return;
		}
		if (errno != EAGAIN)
			break;
		sleep_ms(1);
	}
	r->copy_errno = errno;
	if (errno == EEXIST) {
		/* Someone filled it meanwhile: just let the faulter retry. */
		struct uffdio_range wake = { .start = copy.dst, .len = page_size };

		ioctl(uffd, UFFDIO_WAKE, &wake);
	}
}

/* Returns false when the uffd is unusable and waiting on it is pointless. */
static bool handle_uffd_readable(int uffd, void *page, const void *served_page,
				 struct touch_result *r)
{
	struct uffd_msg msg;
	ssize_t got = read(uffd, &msg, sizeof(msg));

	if (got < 0)
		return errno == EAGAIN || errno == EINTR;
	if (got != (ssize_t)sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
		return true;
	r->event = true;
	r->fault_offset = (long)(msg.arg.pagefault.address - (uintptr_t)page);
	serve_fault(uffd, &msg, served_page, r);
	return true;
}

void touch_hole(int *uffd, void *page, long timeout_ms, struct touch_result *r)
{
	struct toucher *t = calloc(1, sizeof(*t));
	unsigned char *served_page = malloc(page_size);
	long long deadline = now_ms() + timeout_ms;
	pthread_t thread;

	memset(r, 0, sizeof(*r));
	r->content = READ_NOTHING;
	if (!t || !served_page || !(t->copy = malloc(page_size))) {
		format_into(r->failure, sizeof(r->failure), "out of memory");
		goto free_all;
	}
	memset(served_page, SERVED_BYTE, page_size);
	t->page = page;
	atomic_init(&t->done, false);
	if (pthread_create(&thread, NULL, toucher_main, t)) {
		format_into(r->failure, sizeof(r->failure), "pthread_create failed");
		goto free_all;
	}

	while (!atomic_load(&t->done)) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = *uffd, .events = POLLIN };
		int ready;

		if (left <= 0)
			break;
		ready = poll(&pfd, 1, left < 20 ? (int)left : 20);
		if (ready <= 0)
			continue;
		if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) ||
		    !handle_uffd_readable(*uffd, page, served_page, r))
			break;
	}

	if (!atomic_load(&t->done)) {
		r->timed_out = true;
		close(*uffd);
		*uffd = -1;
		for (long long stop = now_ms() + WAKE_AFTER_CLOSE_MS;
		     !atomic_load(&t->done) && now_ms() < stop;)
			sleep_ms(5);
	}
	if (!atomic_load(&t->done)) {
		r->toucher_stuck = true;
		pthread_detach(thread);
		free(served_page);
		return;	/* the thread still owns t */
	}
	pthread_join(thread, NULL);
	r->toucher_done = true;
	r->content = classify(t->copy);
free_all:
	free(served_page);
	if (t)
		free(t->copy);
	free(t);
}

const char *touched_content_name(enum touched_content content)
{
	switch (content) {
	case READ_SERVED:	return "the served pattern";
	case READ_ZEROES:	return "zeroes";
	case READ_POPULATED:	return "populated data";
	case READ_OTHER:	return "unexpected bytes";
	case READ_NOTHING:	break;
	}
	return "nothing";
}
