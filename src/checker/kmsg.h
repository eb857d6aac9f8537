/*
 * --kmsg: attribute kernel warnings to the cell that was running. A WARNING,
 * BUG or lockdep report logged while a cell ran turns it into ERROR (unless
 * it is VULNERABLE) and is quoted in its detail. Meant for test kernels with
 * CONFIG_DEBUG_VM, whose guard checks its userfaultfd VMA count this way.
 */
#ifndef COLLAPSE_CHECK_KMSG_H
#define COLLAPSE_CHECK_KMSG_H

#include "result.h"

/* -1 with errno when /dev/kmsg cannot be read. */
int kmsg_open(void);
/* Skip everything logged so far. */
void kmsg_skip(int fd);
/* Look at what was logged since the last call; returns whether r changed. */
bool kmsg_judge(int fd, struct result *r);

#endif
