/*
 * The user-space pager side: a userfaultfd in MISSING mode over the armed
 * mapping, a monitor thread that answers every fault with UFFDIO_COPY of a
 * known page (MARK_SERVED), and touchers that read a page through the armed
 * mapping from their own thread (a fault may block).
 */
#ifndef COLLAPSE_RACE_PAGER_H
#define COLLAPSE_RACE_PAGER_H

#include "cg_uffd.h"
#include "extent.h"
#include "util.h"
#include "worker.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Copies one page of pattern MARK_SERVED for `index` to dst: 0 or -errno. */
int uffd_copy_served(int uffd, char *dst, size_t index);
/* Writes that same page at `index` of the file with pwrite: 0 or -errno. */
int pwrite_served(int fd, size_t index);

/* The library's pager (cg_uffd.h) on a worker, counting the faults per page. */
struct monitor {
	struct worker worker;
	struct cg_pager pager;
	char *base;			/* the armed mapping */
	atomic_int events[EXTENT_PAGES_MAX];	/* fault events per page */
	atomic_llong first_event_ms[EXTENT_PAGES_MAX];	/* when the first one was read */
	atomic_int total_events;
};

/* Serves every fault at once, from its own thread. */
int monitor_start(struct monitor *m, int uffd, char *base);
bool monitor_running(struct monitor *m);
/* Stops and joins the monitor: false if it had to be abandoned. */
bool monitor_stop(struct monitor *m, long timeout_ms);

struct toucher {
	struct worker worker;
	const char *map;
	size_t index;
	enum cg_page_content content;
};

/* Reads page `index` of `map` in a new thread. */
int toucher_start(struct toucher *t, const char *map, size_t index);

#endif
