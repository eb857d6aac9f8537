/*
 * userfaultfd: opening it on any kernel (with optional features), the
 * registration modes, the touch test (faulter in a thread here or in another
 * process, served here) and waiting for a non-fault event (fork, remap).
 */
#ifndef COLLAPSE_CHECK_UFFD_H
#define COLLAPSE_CHECK_UFFD_H

#include <linux/userfaultfd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "cg_extent.h"
#include "cg_uffd.h"

/* Plain data: the other-process scenario sends it through a pipe. */
struct touch_result {
	bool event;		/* a UFFD_EVENT_PAGEFAULT arrived */
	bool served;		/* UFFDIO_COPY answered it */
	bool toucher_done;
	bool timed_out;		/* had to close the uffd to wake the toucher */
	bool toucher_stuck;	/* still blocked after that: keep its mapping */
	int copy_errno;
	long fault_offset;	/* fault address minus touched page */
	enum cg_page_content content;
	char failure[96];	/* set when the test itself could not run */
};

/*
 * The library's cg_uffd_open (O_CLOEXEC|O_NONBLOCK) and registration, with
 * the checker's reasons in `why`. uffd_open_features: -1 when there is no
 * userfaultfd or it broke; -2 when it lacks a requested feature (the caller
 * SKIPs).
 */
int uffd_open(char *why, size_t why_size);
int uffd_open_features(uint64_t features, char *why, size_t why_size);

int uffd_register_missing(int uffd, void *addr, size_t len, char *why, size_t why_size);
/* UFFDIO_REGISTER_MODE_* bits; MISSING also requires UFFDIO_COPY. */
int uffd_register_mode(int uffd, void *addr, size_t len, uint64_t mode, char *why,
		       size_t why_size);
int uffd_unregister(int uffd, void *addr, size_t len, char *why, size_t why_size);

/*
 * Read `page` from a helper thread while serving MISSING faults on *uffd.
 * Bounded by timeout_ms; on timeout *uffd is closed (and set to -1) so the
 * blocked reader wakes up.
 */
void touch_hole(int *uffd, void *page, long timeout_ms, struct touch_result *result);

/*
 * The same test when another process reads the page: `start_touch` asks it
 * to (returns false when it cannot), and the process answers one
 * enum cg_page_content on `reply_fd` once the read returned. Faults are
 * served here on *uffd (a uffd of that process's mm, e.g. from
 * UFFD_EVENT_FORK); timeout handling as for touch_hole.
 */
void touch_hole_remote(int *uffd, void *page, bool (*start_touch)(void *arg), void *arg,
		       int reply_fd, long timeout_ms, struct touch_result *result);

enum cg_page_content classify_page(const unsigned char *copy);

/*
 * A thread that reads the next non-fault event of type `event` from a uffd,
 * for syscalls that block until the monitor has read it (fork with
 * UFFD_FEATURE_EVENT_FORK, mremap with UFFD_FEATURE_EVENT_REMAP). Start it
 * before the syscall, finish it after.
 */
struct uffd_event_waiter {
	pthread_t thread;
	int uffd;
	uint8_t event;
	long timeout_ms;
	bool got;
	int error;		/* errno of a failed poll/read, or ETIMEDOUT */
	struct uffd_msg msg;
};

int uffd_event_wait_start(struct uffd_event_waiter *waiter, int uffd, uint8_t event,
			  long timeout_ms);
/* Joins the thread; true when the event was read (in waiter->msg). */
bool uffd_event_wait_finish(struct uffd_event_waiter *waiter);

#endif
