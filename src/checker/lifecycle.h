/*
 * Process-wide safety net: whatever happens (normal exit, SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT), the sysfs knobs are restored and the helper children
 * (at most 4 at a time) killed.
 */
#ifndef COLLAPSE_CHECK_LIFECYCLE_H
#define COLLAPSE_CHECK_LIFECYCLE_H

#include <sys/types.h>

void lifecycle_init(void);
void lifecycle_track_child(pid_t pid);
void lifecycle_untrack_child(pid_t pid);
/* For a freshly forked child: drop the parent's handlers. */
void lifecycle_forget_in_child(void);

#endif
