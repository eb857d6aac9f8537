#define _GNU_SOURCE
#include "uffd.h"
#include "memfd_map.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
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

static int uffd_open_raw(char *why, size_t why_size)
{
	const int flags = O_CLOEXEC | O_NONBLOCK;
	int syscall_err = 0, fd = open_by_syscall(flags);

	if (fd < 0) {
		syscall_err = errno;
		fd = open_by_device(flags);
	}
	if (fd < 0)
		format_into(why, why_size, "no userfaultfd (syscall %s, /dev/userfaultfd %s)",
			    errno_name(syscall_err), errno_name(errno));
	return fd;
}

static int uffd_api(int fd, uint64_t features, uint64_t *offered, char *why, size_t why_size)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };

	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = errno;

		format_into(why, why_size, "UFFDIO_API%s%s: %s", features ? " " : "",
			    features ? uffd_feature_names(features) : "", errno_name(err));
		errno = err;
		return -1;
	}
	if (offered)
		*offered = api.features;
	return 0;
}

int uffd_open(char *why, size_t why_size)
{
	int fd = uffd_open_raw(why, why_size);

	if (fd >= 0 && uffd_api(fd, 0, NULL, why, why_size)) {
		close(fd);
		return -1;
	}
	return fd;
}

int uffd_open_features(uint64_t features, char *why, size_t why_size)
{
	uint64_t offered = 0;
	int fd = uffd_open(why, why_size);

	if (fd < 0 || !features)
		return fd;
	/* UFFDIO_API with no feature requested reports every one the kernel has. */
	close(fd);
	fd = uffd_open_raw(why, why_size);
	if (fd < 0)
		return -1;
	if (uffd_api(fd, 0, &offered, why, why_size)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (features & ~offered) {
		format_into(why, why_size, "UFFDIO_API does not offer %s",
			    uffd_feature_names(features & ~offered));
		return -2;
	}
	fd = uffd_open_raw(why, why_size);
	if (fd >= 0 && uffd_api(fd, features, NULL, why, why_size)) {
		/* e.g. EVENT_FORK without CAP_SYS_PTRACE: a missing privilege. */
		int err = errno;

		close(fd);
		if (err == EPERM) {
			append_to(why, why_size, " (a privilege is missing)");
			return -2;
		}
		return -1;
	}
	return fd;
}

const char *uffd_feature_names(uint64_t features)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ UFFD_FEATURE_EVENT_FORK, "EVENT_FORK" },
		{ UFFD_FEATURE_EVENT_REMAP, "EVENT_REMAP" },
		{ UFFD_FEATURE_EVENT_REMOVE, "EVENT_REMOVE" },
		{ UFFD_FEATURE_EVENT_UNMAP, "EVENT_UNMAP" },
		{ UFFD_FEATURE_MINOR_SHMEM, "MINOR_SHMEM" },
		{ UFFD_FEATURE_WP_HUGETLBFS_SHMEM, "WP_HUGETLBFS_SHMEM" },
	};
	static __thread char text[128];

	text[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(features & names[i].bit))
			continue;
		append_to(text, sizeof(text), "%s%s", text[0] ? "|" : "", names[i].name);
		features &= ~names[i].bit;
	}
	if (features)
		append_to(text, sizeof(text), "%s0x%llx", text[0] ? "|" : "",
			  (unsigned long long)features);
	return text;
}

const char *uffd_mode_name(uint64_t mode)
{
	static __thread char text[32];

	text[0] = '\0';
	if (mode & UFFDIO_REGISTER_MODE_MISSING)
		append_to(text, sizeof(text), "MISSING");
	if (mode & UFFDIO_REGISTER_MODE_WP)
		append_to(text, sizeof(text), "%sWP", text[0] ? "|" : "");
	if (mode & UFFDIO_REGISTER_MODE_MINOR)
		append_to(text, sizeof(text), "%sMINOR", text[0] ? "|" : "");
	return text;
}

int uffd_register_mode(int uffd, void *addr, size_t len, uint64_t mode, char *why,
		       size_t why_size)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = mode,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		format_into(why, why_size, "UFFDIO_REGISTER %s on shmem: %s", uffd_mode_name(mode),
			    errno_name(errno));
		return -1;
	}
	if ((mode & UFFDIO_REGISTER_MODE_MISSING) && !(reg.ioctls & (1ULL << _UFFDIO_COPY))) {
		format_into(why, why_size, "UFFDIO_COPY not offered on the shmem range");
		return -1;
	}
	return 0;
}

int uffd_register_missing(int uffd, void *addr, size_t len, char *why, size_t why_size)
{
	return uffd_register_mode(uffd, addr, len, UFFDIO_REGISTER_MODE_MISSING, why, why_size);
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

enum touched_content classify_page(const unsigned char *copy)
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

/*
 * Serve faults on *uffd until done(arg) or the deadline; then, if still not
 * done, close the uffd (the blocked reader retries without it) and give the
 * reader a grace period. Returns whether done(arg) became true.
 */
static bool serve_until(int *uffd, void *page, const void *served_page, bool (*done)(void *),
			void *arg, int extra_fd, long long deadline, struct touch_result *r)
{
	while (!done(arg)) {
		long long left = deadline - now_ms();
		struct pollfd pfd[2] = { { .fd = *uffd, .events = POLLIN },
					 { .fd = extra_fd, .events = POLLIN } };
		int ready;

		if (left <= 0)
			break;
		ready = poll(pfd, extra_fd >= 0 ? 2 : 1, left < 20 ? (int)left : 20);
		if (ready <= 0 || !pfd[0].revents)
			continue;
		if ((pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) ||
		    !handle_uffd_readable(*uffd, page, served_page, r))
			break;
	}
	if (!done(arg)) {
		r->timed_out = true;
		close(*uffd);
		*uffd = -1;
		for (long long stop = now_ms() + WAKE_AFTER_CLOSE_MS; !done(arg) && now_ms() < stop;)
			sleep_ms(5);
	}
	return done(arg);
}

static bool toucher_done(void *arg)
{
	return atomic_load(&((struct toucher *)arg)->done);
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

	if (!serve_until(uffd, page, served_page, toucher_done, t, -1, deadline, r)) {
		r->toucher_stuck = true;
		pthread_detach(thread);
		free(served_page);
		return;	/* the thread still owns t */
	}
	pthread_join(thread, NULL);
	r->toucher_done = true;
	r->content = classify_page(t->copy);
free_all:
	free(served_page);
	if (t)
		free(t->copy);
	free(t);
}

struct remote_reader {
	int reply_fd;
	bool done;
	bool broken;
	enum touched_content content;
};

static bool remote_reader_done(void *arg)
{
	struct remote_reader *rr = arg;
	struct pollfd pfd = { .fd = rr->reply_fd, .events = POLLIN };
	ssize_t got;

	if (rr->done)
		return true;
	if (poll(&pfd, 1, 0) <= 0)
		return false;
	got = read(rr->reply_fd, &rr->content, sizeof(rr->content));
	if (got != (ssize_t)sizeof(rr->content))
		rr->broken = true;	/* the reader died: nothing more will come */
	rr->done = true;
	return true;
}

void touch_hole_remote(int *uffd, void *page, bool (*start_touch)(void *arg), void *arg,
		       int reply_fd, long timeout_ms, struct touch_result *r)
{
	unsigned char *served_page = malloc(page_size);
	struct remote_reader rr = { .reply_fd = reply_fd, .content = READ_NOTHING };

	memset(r, 0, sizeof(*r));
	r->content = READ_NOTHING;
	if (!served_page) {
		format_into(r->failure, sizeof(r->failure), "out of memory");
		return;
	}
	memset(served_page, SERVED_BYTE, page_size);
	if (!start_touch(arg)) {
		format_into(r->failure, sizeof(r->failure), "the reading process is gone");
	} else if (!serve_until(uffd, page, served_page, remote_reader_done, &rr, reply_fd,
				now_ms() + timeout_ms, r)) {
		r->toucher_stuck = true;
	} else if (rr.broken) {
		format_into(r->failure, sizeof(r->failure), "the reading process died");
	} else {
		r->toucher_done = true;
		r->content = rr.content;
	}
	free(served_page);
}

static void *event_waiter_main(void *arg)
{
	struct uffd_event_waiter *w = arg;
	long long deadline = now_ms() + w->timeout_ms;

	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = w->uffd, .events = POLLIN };
		ssize_t got;

		if (left <= 0) {
			w->error = ETIMEDOUT;
			return NULL;
		}
		if (poll(&pfd, 1, left < 50 ? (int)left : 50) <= 0)
			continue;
		got = read(w->uffd, &w->msg, sizeof(w->msg));
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got != (ssize_t)sizeof(w->msg)) {
			w->error = got < 0 ? errno : EIO;
			return NULL;
		}
		if (w->msg.event == w->event) {
			w->got = true;
			return NULL;
		}
		/* A fault nobody waits for here cannot happen; ignore anything else. */
	}
}

int uffd_event_wait_start(struct uffd_event_waiter *w, int uffd, uint8_t event,
			  long timeout_ms)
{
	memset(w, 0, sizeof(*w));
	w->uffd = uffd;
	w->event = event;
	w->timeout_ms = timeout_ms;
	return pthread_create(&w->thread, NULL, event_waiter_main, w) ? -1 : 0;
}

bool uffd_event_wait_finish(struct uffd_event_waiter *w)
{
	pthread_join(w->thread, NULL);
	return w->got;
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
