/*
 * The user-space pager side: a userfaultfd in MISSING mode over the armed
 * mapping, a monitor thread that answers every fault with UFFDIO_COPY of a
 * known page (MARK_SERVED), and touchers that read a page through the armed
 * mapping from their own thread (a fault may block).
 */
#ifndef COLLAPSE_RACE_PAGER_H
#define COLLAPSE_RACE_PAGER_H

#include "extent.h"
#include "util.h"
#include "worker.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* A userfaultfd after the UFFDIO_API handshake: fd, or -errno. */
int uffd_open(void);
int uffd_register_missing(int uffd, void *addr, size_t len);
int uffd_unregister(int uffd, void *addr, size_t len);
/* Copies one page of pattern MARK_SERVED for `index` to dst: 0 or -errno. */
int uffd_copy_served(int uffd, char *dst, size_t index);
/* Writes that same page at `index` of the file with pwrite: 0 or -errno. */
int pwrite_served(int fd, size_t index);

struct monitor {
	struct worker worker;
	int uffd;
	char *base;			/* the armed mapping */
	atomic_bool stop;
	atomic_int events[EXTENT_PAGES_MAX];	/* fault events per page */
	atomic_llong first_event_ms[EXTENT_PAGES_MAX];	/* when the first one was read */
	atomic_int total_events;
	atomic_int copy_eexist;		/* UFFDIO_COPY answered EEXIST */
	atomic_int copy_errno;		/* last other UFFDIO_COPY failure */
	atomic_int read_errno;		/* reading the uffd failed */
	uint64_t page[PAGE_SIZE_SUPPORTED / sizeof(uint64_t)];
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
	enum page_content content;
};

/* Reads page `index` of `map` in a new thread. */
int toucher_start(struct toucher *t, const char *map, size_t index);

#endif
