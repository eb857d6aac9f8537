/*
 * The kernel's park facility (CONFIG_DEBUG_COLLAPSE_PARK): the debugfs file
 * collapse_park. Writing a point name arms it once, "release" lets a parked
 * collapse go on, "none" disarms; reading says "idle", "armed <point>" or
 * "parked <point>".
 *
 * Every call is open/read/write/close on a stack buffer: no allocation, no
 * stdio, so they are safe while another thread of this process holds
 * mmap_lock for write (the registration of a "guarded" row).
 */
#ifndef COLLAPSE_RACE_PARK_H
#define COLLAPSE_RACE_PARK_H

#include <stdbool.h>
#include <stddef.h>

#define PARK_PATH "/sys/kernel/debug/collapse_park"

/* 0 when the file is usable; otherwise -1 and why (a SKIP reason). */
int park_setup(char *why, size_t why_size);

/* Arms a point: 0, or -errno (-EINVAL: this kernel has no such point). */
int park_arm(const char *point);
/* 0, or -errno (-ENOENT: nothing was parked). */
int park_release(void);
/* Disarms whatever is armed. */
void park_disarm(void);
/* Reads the state line without its newline: 0 or -errno. */
int park_state(char *buf, size_t size);

/*
 * Polls the state until it reads `want`, for at most timeout_ms, or until
 * give_up(arg) returns true. Leaves the last state read in last.
 */
bool park_wait_state(const char *want, long timeout_ms,
		     bool (*give_up)(void *arg), void *arg,
		     char *last, size_t last_size);

/* Disarm and release, ignoring errors: the way out of any row. */
void park_reset(void);

#endif
