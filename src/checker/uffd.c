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
#include <unistd.h>

#define WAKE_AFTER_CLOSE_MS 2000

/* The checker's reasons: the library returns -errno, the checker says what failed. */
int uffd_open(char *why, size_t why_size)
{
	return uffd_open_features(0, why, why_size);
}

int uffd_open_features(uint64_t features, char *why, size_t why_size)
{
	uint64_t missing;
	int fd = cg_uffd_open(CG_UFFD_FLAGS, features, &missing);

	if (fd >= 0)
		return fd;
	if (!missing) {
		format_into(why, why_size, "no userfaultfd: %s", errno_name(-fd));
		return -1;
	}
	if (fd == -EPERM) {
		format_into(why, why_size, "UFFDIO_API %s: EPERM (a privilege is missing)",
			    cg_uffd_feature_names(missing));
		return -2;
	}
	format_into(why, why_size, "UFFDIO_API does not offer %s", cg_uffd_feature_names(missing));
	return -2;
}

int uffd_register_mode(int uffd, void *addr, size_t len, uint64_t mode, char *why,
		       size_t why_size)
{
	int err = cg_uffd_register(uffd, addr, len, mode);

	if (err == -EOPNOTSUPP)
		format_into(why, why_size, "UFFDIO_COPY not offered on the shmem range");
	else if (err)
		format_into(why, why_size, "UFFDIO_REGISTER %s on shmem: %s",
			    cg_uffd_mode_name(mode), errno_name(-err));
	return err ? -1 : 0;
}

int uffd_register_missing(int uffd, void *addr, size_t len, char *why, size_t why_size)
{
	return uffd_register_mode(uffd, addr, len, UFFDIO_REGISTER_MODE_MISSING, why, why_size);
}

int uffd_unregister(int uffd, void *addr, size_t len, char *why, size_t why_size)
{
	int err = cg_uffd_unregister(uffd, addr, len);

	if (err)
		format_into(why, why_size, "UFFDIO_UNREGISTER: %s", errno_name(-err));
	return err ? -1 : 0;
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

enum cg_page_content classify_page(const unsigned char *copy)
{
	if (all_bytes(copy, CG_SERVED_BYTE))
		return CG_PAGE_SERVED;
	if (all_bytes(copy, 0))
		return CG_PAGE_ZEROES;
	if (all_bytes(copy, CG_POPULATED_BYTE))
		return CG_PAGE_POPULATED;
	return CG_PAGE_OTHER;
}

static void serve_fault(int uffd, const struct uffd_msg *msg, const void *served_page,
			struct touch_result *r)
{
	uintptr_t dst = msg->arg.pagefault.address & ~((__u64)page_size - 1);
	int err = 0;

	for (int tries = 0; tries < 100; tries++) {
		err = cg_uffd_copy(uffd, dst, served_page, page_size);
		if (!err) {
			r->served = true;
			return;
		}
		if (err != -EAGAIN)
			break;
		sleep_ms(1);
	}
	r->copy_errno = -err;
	/* Someone filled it meanwhile: just let the faulter retry. */
	if (err == -EEXIST)
		cg_uffd_wake(uffd, dst, page_size);
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
	r->content = CG_PAGE_UNREAD;
	if (!t || !served_page || !(t->copy = malloc(page_size))) {
		format_into(r->failure, sizeof(r->failure), "out of memory");
		goto free_all;
	}
	memset(served_page, CG_SERVED_BYTE, page_size);
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
	enum cg_page_content content;
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
	struct remote_reader rr = { .reply_fd = reply_fd, .content = CG_PAGE_UNREAD };

	memset(r, 0, sizeof(*r));
	r->content = CG_PAGE_UNREAD;
	if (!served_page) {
		format_into(r->failure, sizeof(r->failure), "out of memory");
		return;
	}
	memset(served_page, CG_SERVED_BYTE, page_size);
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
