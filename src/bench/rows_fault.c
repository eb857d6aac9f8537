/*
 * Fault rows: the series changes nothing on the fault path; these show it.
 * An operation is one page fault. The pages of a 2 MiB mapping are touched
 * in order, timed per sweep; between sweeps, untimed, the page tables are
 * zapped (MADV_DONTNEED: the pages stay in the page cache) or the extent is
 * punched (the pager has to supply every page again).
 */
#define _GNU_SOURCE
#include "rows.h"
#include "shm.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct fault_ctx {
	int fd;
	char *map;
	size_t pages, cursor;
	bool uffd_served;
	int uffd;
	struct cg_pager pager;
};

static void fault_teardown(void *arg)
{
	struct fault_ctx *c = arg;

	if (!c)
		return;
	cg_pager_stop(&c->pager);
	if (c->uffd >= 0)
		close(c->uffd);
	if (c->map)
		munmap(c->map, CG_EXTENT_SIZE);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static int fault_setup(void **ctx, bool uffd_served)
{
	struct fault_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return fail("out of memory");
	c->fd = c->uffd = -1;
	c->pages = pages_per_extent();
	c->cursor = c->pages;	/* the first run starts with a reset */
	c->uffd_served = uffd_served;
	c->fd = shm_create("collapse-bench-fault", CG_EXTENT_SIZE);
	if (c->fd < 0)
		goto failed;
	if (!uffd_served && shm_fill(c->fd, 0, CG_EXTENT_SIZE, CG_FILL_ALL_PAGES))
		goto failed;
	c->map = shm_map_aligned(c->fd, 0, CG_EXTENT_SIZE);
	if (!c->map)
		goto failed;
	if (uffd_served) {
		c->uffd = uffd_new();
		if (c->uffd < 0 || uffd_register_missing(c->uffd, c->map, CG_EXTENT_SIZE) ||
		    pager_start(&c->pager, c->uffd))
			goto failed;
	}
	*ctx = c;
	return 0;
failed:
	fault_teardown(c);
	return -1;
}

/* Untimed, between sweeps: make every page of the mapping fault again. */
static int reset(struct fault_ctx *c)
{
	if (c->uffd_served)
		return shm_punch(c->fd, 0, CG_EXTENT_SIZE);
	if (madvise(c->map, CG_EXTENT_SIZE, MADV_DONTNEED))
		return fail("MADV_DONTNEED: %s", errno_name(errno));
	return 0;
}

static int fault_run(void *arg, long reps, uint64_t *timed_ns)
{
	struct fault_ctx *c = arg;
	long done = 0;

	while (done < reps) {
		size_t n = c->pages - c->cursor;
		volatile char *page;
		uint64_t t0, t1;
		bool bad = false;

		if (n == 0) {
			if (c->uffd_served && pager_failure(&c->pager))
				return -1;
			if (reset(c))
				return -1;
			c->cursor = 0;
			n = c->pages;
		}
		if ((long)n > reps - done)
			n = (size_t)(reps - done);
		page = c->map + c->cursor * page_size;
		t0 = now_ns();
		if (c->uffd_served) {
			/* A read: the fault asks the pager, which copies the page in. */
			for (size_t i = 0; i < n; i++, page += page_size)
				bad |= *page != (char)CG_SERVED_BYTE;
		} else {
			/* A write: no fault-around, one fault per page. */
			for (size_t i = 0; i < n; i++, page += page_size)
				*page = (char)i;
		}
		t1 = now_ns();
		if (bad)
			return fail("a page read through the armed mapping is not the pager's");
		*timed_ns += t1 - t0;
		c->cursor += n;
		done += (long)n;
	}
	return 0;
}

static int setup_plain(void **ctx)
{
	return fault_setup(ctx, false);
}

static int setup_uffd(void **ctx)
{
	return fault_setup(ctx, true);
}

const struct row fault_rows[] = {
	{ "fault-shmem",
	  "write fault on a shmem page in the page cache, unarmed mapping",
	  CLASS_FAULT, setup_plain, fault_run, fault_teardown, 0 },
	{ "fault-uffd-copy",
	  "read fault on a hole of an armed mapping, served by a pager's UFFDIO_COPY",
	  CLASS_FAULT, setup_uffd, fault_run, fault_teardown, 0 },
};
const size_t n_fault_rows = sizeof(fault_rows) / sizeof(fault_rows[0]);
