/* userfaultfd: opening it on any kernel, MISSING registration, touch test. */
#ifndef COLLAPSE_CHECK_UFFD_H
#define COLLAPSE_CHECK_UFFD_H

#include <stdbool.h>
#include <stddef.h>

enum touched_content {
	READ_NOTHING,	/* the toucher never finished */
	READ_SERVED,	/* the page the fault handler copied in */
	READ_ZEROES,	/* a zero-filled page: nobody asked the pager */
	READ_POPULATED,	/* the populate pattern: the page was never a hole */
	READ_OTHER,
};

/* Plain data: the other-process scenario sends it through a pipe. */
struct touch_result {
	bool event;		/* a UFFD_EVENT_PAGEFAULT arrived */
	bool served;		/* UFFDIO_COPY answered it */
	bool toucher_done;
	bool timed_out;		/* had to close the uffd to wake the toucher */
	bool toucher_stuck;	/* still blocked after that: keep its mapping */
	int copy_errno;
	long fault_offset;	/* fault address minus touched page */
	enum touched_content content;
	char failure[96];	/* set when the test itself could not run */
};

int uffd_open(char *why, size_t why_size);
int uffd_register_missing(int uffd, void *addr, size_t len, char *why, size_t why_size);
int uffd_unregister(int uffd, void *addr, size_t len, char *why, size_t why_size);

/*
 * Read `page` from a helper thread while serving MISSING faults on *uffd.
 * Bounded by timeout_ms; on timeout *uffd is closed (and set to -1) so the
 * blocked reader wakes up.
 */
void touch_hole(int *uffd, void *page, long timeout_ms, struct touch_result *result);

const char *touched_content_name(enum touched_content content);

#endif
