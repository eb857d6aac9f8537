/*
 * A child process (its own mm) that maps the shared memfd, registers it
 * MISSING with its own userfaultfd and runs the touch test on request,
 * answering through a pipe. Used by the other-process scenario and the
 * child-exit lifecycle row.
 */
#ifndef COLLAPSE_CHECK_REMOTE_ARMER_H
#define COLLAPSE_CHECK_REMOTE_ARMER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "uffd.h"

struct remote_armer {
	pid_t pid;
	int command_fd;
	int reply_fd;
};

enum remote_arm_status { REMOTE_ARMED, REMOTE_NO_UFFD, REMOTE_FAILED };

/*
 * Start the child and wait (bounded) until it has armed [offset, offset+len)
 * of memfd. On anything but REMOTE_ARMED the child is already reaped.
 */
enum remote_arm_status remote_arm(struct remote_armer *armer, int memfd, off_t offset,
				  size_t len, size_t touch_offset, long timeout_ms,
				  char *why, size_t why_size);

/* Ask the child to touch its hole; false when it did not answer in time. */
bool remote_touch(struct remote_armer *armer, long timeout_ms, struct touch_result *result,
		  char *why, size_t why_size);

/* The same for the page at `offset` into the child's mapping. */
bool remote_touch_at(struct remote_armer *armer, size_t offset, long timeout_ms,
		     struct touch_result *result, char *why, size_t why_size);

/* Tell the child to quit and reap it, killing it if it lingers. */
void remote_release(struct remote_armer *armer);

#endif
