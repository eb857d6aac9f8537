/*
 * MADV_COLLAPSE rows. Every iteration re-creates the extent to collapse
 * (punch it, write its pages again, read its first page through the mapping)
 * untimed, times the madvise alone, and checks afterwards, untimed, that the
 * extent has no hole left.
 *
 * The read gives the mapping a page table: MADV_COLLAPSE then ends by mapping
 * the new huge page with a PMD, as for memory in use. Without one, 6.1
 * collapses the page cache all the same but returns EINVAL (SCAN_PMD_NULL
 * from retract_page_tables()).
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

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/* Extents of the file when another one is armed: target 0, armed 2. */
#define ARMED_FILE_EXTENTS 3
#define ARMED_EXTENT 2

struct collapse_ctx {
	int fd;
	enum cg_fill fill;
	char *target;		/* extent 0, never armed */
	char *armed;		/* extent ARMED_EXTENT, or NULL */
	size_t file_size;
	int uffd;
};

static void collapse_teardown(void *arg)
{
	struct collapse_ctx *c = arg;

	if (!c)
		return;
	if (c->armed)
		munmap(c->armed, CG_EXTENT_SIZE);
	if (c->uffd >= 0)
		close(c->uffd);
	if (c->target)
		munmap(c->target, CG_EXTENT_SIZE);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static int collapse_setup(void **ctx, enum cg_fill fill, bool arm_other)
{
	struct collapse_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return fail("out of memory");
	c->fd = c->uffd = -1;
	c->fill = fill;
	c->file_size = (arm_other ? ARMED_FILE_EXTENTS : 1) * CG_EXTENT_SIZE;
	c->fd = shm_create("collapse-bench", c->file_size);
	if (c->fd < 0)
		goto failed;
	c->target = shm_map_aligned(c->fd, 0, CG_EXTENT_SIZE);
	if (!c->target)
		goto failed;
	if (arm_other) {
		off_t off = (off_t)(ARMED_EXTENT * CG_EXTENT_SIZE);

		/* The armed extent keeps its holes: the guard has something to protect. */
		if (shm_fill(c->fd, off, CG_EXTENT_SIZE, CG_FILL_EVEN_PAGES))
			goto failed;
		c->armed = shm_map_aligned(c->fd, off, CG_EXTENT_SIZE);
		if (!c->armed)
			goto failed;
		c->uffd = uffd_new();
		if (c->uffd < 0 || uffd_register_missing(c->uffd, c->armed, CG_EXTENT_SIZE))
			goto failed;
	}
	*ctx = c;
	return 0;
failed:
	collapse_teardown(c);
	return -1;
}

static int collapse_run(void *arg, long reps, uint64_t *timed_ns)
{
	struct collapse_ctx *c = arg;

	for (long i = 0; i < reps; i++) {
		uint64_t t0, t1;
		long holes;
		int ret;

		if (shm_punch(c->fd, 0, CG_EXTENT_SIZE) ||
		    shm_fill(c->fd, 0, CG_EXTENT_SIZE, c->fill))
			return -1;
		if (*(volatile char *)c->target != CG_POPULATED_BYTE)
			return fail("page 0 of the extent does not hold what was written");
		t0 = now_ns();
		ret = madvise(c->target, CG_EXTENT_SIZE, MADV_COLLAPSE);
		t1 = now_ns();
		if (ret)
			return fail("MADV_COLLAPSE: %s", errno_name(errno));
		*timed_ns += t1 - t0;
		holes = shm_holes(c->fd, 0, CG_EXTENT_SIZE);
		if (holes < 0)
			return -1;
		if (holes)
			return fail("MADV_COLLAPSE returned 0 but %ld holes are left", holes);
	}
	return 0;
}

static int setup_holey(void **ctx)
{
	return collapse_setup(ctx, CG_FILL_EVEN_PAGES, false);
}

static int setup_full_armed_other(void **ctx)
{
	return collapse_setup(ctx, CG_FILL_ALL_PAGES, true);
}

static int setup_holey_armed_other(void **ctx)
{
	return collapse_setup(ctx, CG_FILL_EVEN_PAGES, true);
}

const struct row collapse_rows[] = {
	/*
	 * Stricter than its class (issue 10): with nothing armed, the guard
	 * adds no per-hole work to a holey collapse, only the count's read.
	 */
	{ "collapse-holey",
	  "MADV_COLLAPSE of an extent with 256 of 512 pages holes, no userfaultfd",
	  CLASS_PLAIN, setup_holey, collapse_run, collapse_teardown, 1.002 },
	{ "collapse-full-armed-other",
	  "MADV_COLLAPSE of a full extent, extent 2 of the file armed",
	  CLASS_PLAIN, setup_full_armed_other, collapse_run, collapse_teardown, 0 },
	{ "collapse-holey-armed-other",
	  "MADV_COLLAPSE of a holey extent, extent 2 of the file armed",
	  CLASS_ARMED, setup_holey_armed_other, collapse_run, collapse_teardown, 0 },
};
const size_t n_collapse_rows = sizeof(collapse_rows) / sizeof(collapse_rows[0]);
