/*
 * Process-wide safety net: whatever ends the run (exit, any fatal signal,
 * twice in a row included), the helper children (at most 4 at a time) are
 * killed; the THP knobs are put back by their own clean-up (cg_knob_hold.h).
 */
#ifndef COLLAPSE_CHECK_LIFECYCLE_H
#define COLLAPSE_CHECK_LIFECYCLE_H

#include <sys/types.h>

void lifecycle_init(void);
void lifecycle_track_child(pid_t pid);
void lifecycle_untrack_child(pid_t pid);
/* For a freshly forked child: drop the parent's handlers and clean-ups. */
void lifecycle_forget_in_child(void);

#endif
