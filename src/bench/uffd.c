#define _GNU_SOURCE
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

#define PAGER_POLL_MS 100

static int open_raw(void)
{
	int flags = O_CLOEXEC | O_NONBLOCK, fd = -1, dev;

#ifdef __NR_userfaultfd
	fd = (int)syscall(__NR_userfaultfd, flags);
#endif
	if (fd >= 0)
		return fd;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	close(dev);
	return fd;
}

int uffd_new(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	int fd = open_raw();

	if (fd < 0)
		return fail("no userfaultfd: %s", errno_name(errno));
	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = errno;

		close(fd);
		return fail("UFFDIO_API: %s", errno_name(err));
	}
	return fd;
}

int uffd_register_missing(int uffd, void *addr, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return fail("UFFDIO_REGISTER: %s", errno_name(errno));
	return 0;
}

int uffd_unregister(int uffd, void *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	if (ioctl(uffd, UFFDIO_UNREGISTER, &range))
		return fail("UFFDIO_UNREGISTER: %s", errno_name(errno));
	return 0;
}

/* 0 served (or nothing to do), -1 broken. */
static int serve(struct pager *pager, const struct uffd_msg *msg)
{
	unsigned long mask = ~(unsigned long)(page_size - 1);
	struct uffdio_copy copy = {
		.dst = msg->arg.pagefault.address & mask,
		.src = (uintptr_t)pager->source,
		.len = page_size,
	};

	if (msg->event != UFFD_EVENT_PAGEFAULT)
		return 0;
	if (ioctl(pager->uffd, UFFDIO_COPY, &copy) == 0) {
		atomic_fetch_add(&pager->served, 1);
		return 0;
	}
	if (errno == EEXIST) {
		/* Filled meanwhile: only the faulter needs waking. */
		struct uffdio_range range = { .start = copy.dst, .len = page_size };

		if (ioctl(pager->uffd, UFFDIO_WAKE, &range) == 0)
			return 0;
	}
	snprintf(pager->error, sizeof(pager->error), "UFFDIO_COPY: %s", errno_name(errno));
	return -1;
}

static void *pager_main(void *arg)
{
	struct pager *pager = arg;
	struct pollfd pfd = { .fd = pager->uffd, .events = POLLIN };
	struct uffd_msg msgs[16];

	while (!atomic_load(&pager->stop)) {
		ssize_t got;
		int ready = poll(&pfd, 1, PAGER_POLL_MS);

		if (ready < 0 && errno != EINTR) {
			snprintf(pager->error, sizeof(pager->error), "poll: %s", errno_name(errno));
			break;
		}
		if (ready <= 0)
			continue;
		got = read(pager->uffd, msgs, sizeof(msgs));
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(pager->error, sizeof(pager->error), "read uffd: %s",
				 errno_name(errno));
			break;
		}
		for (size_t i = 0; i < (size_t)got / sizeof(msgs[0]); i++)
			if (serve(pager, &msgs[i]))
				return NULL;
	}
	return NULL;
}

int pager_start(struct pager *pager, int uffd)
{
	int err;

	memset(pager, 0, sizeof(*pager));
	pager->uffd = uffd;
	pager->source = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pager->source == MAP_FAILED)
		return fail("mmap pager source: %s", errno_name(errno));
	memset(pager->source, PAGER_BYTE, page_size);
	err = pthread_create(&pager->thread, NULL, pager_main, pager);
	if (err) {
		munmap(pager->source, page_size);
		return fail("pthread_create: %s", errno_name(err));
	}
	pager->started = 1;
	return 0;
}

void pager_stop(struct pager *pager)
{
	if (!pager->started)
		return;
	atomic_store(&pager->stop, true);
	pthread_join(pager->thread, NULL);
	munmap(pager->source, page_size);
	pager->started = 0;
}
