/*
 * A plain fork() of the checker: the child has the parent's mappings at the
 * same addresses (armed in the child only with UFFD_FEATURE_EVENT_FORK) and
 * reads a page on request, so that the parent, holding the child's uffd from
 * UFFD_EVENT_FORK, can serve the fault. Used by the fork lifecycle rows.
 */
#ifndef COLLAPSE_CHECK_FORKED_H
#define COLLAPSE_CHECK_FORKED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct forked_child {
	pid_t pid;
	int command_fd;
	int reply_fd;		/* one enum cg_page_content per touch */
	void *touch_page;	/* for forked_start_touch */
};

/*
 * fork(); returns 0 in the parent with the child running, -1 with why set.
 * The child never returns: it serves commands until told to exit, the
 * parent dies, or a bound derived from timeout_ms passes.
 */
int forked_start(struct forked_child *child, long timeout_ms, char *why, size_t why_size);

/* For touch_hole_remote(): ask the child to read child->touch_page. */
bool forked_start_touch(void *child);

/* Let the child exit (it unmaps everything) and reap it. */
void forked_exit(struct forked_child *child);

#endif
