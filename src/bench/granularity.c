#define _GNU_SOURCE
#include "granularity.h"
#include "cg_knob_hold.h"
#include "cg_thp_knobs.h"
#include "shm.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define POLL_NS 20000000ULL	/* 20 ms between looks at the file */
#define WANTED_SCANS 2

const char *gran_path_name(enum gran_path path)
{
	return path == GRAN_MADV_COLLAPSE ? "madv_collapse" : "khugepaged";
}

/* Holes left per extent into `holes`; fills res->map and the counts. */
static int tally(int fd, struct gran_result *res)
{
	res->other_collapsed = 0;
	res->other_total = GRAN_EXTENTS - 1;
	res->armed_collapsed = false;
	for (int e = 0; e < GRAN_EXTENTS; e++) {
		long holes = shm_holes(fd, (off_t)(e * CG_EXTENT_SIZE), CG_EXTENT_SIZE);

		if (holes < 0)
			return -1;
		if (e == GRAN_ARMED) {
			res->armed_collapsed = holes == 0;
			res->map[e] = holes ? 'A' : 'Z';
		} else {
			res->other_collapsed += holes == 0;
			res->map[e] = holes ? '.' : 'C';
		}
	}
	res->map[GRAN_EXTENTS] = '\0';
	return 0;
}

static long full_scans(void)
{
	return cg_sysfs_long(CG_KHUGEPAGED_DIR "/full_scans");
}

static int via_khugepaged(int fd, char *whole, size_t len, double timeout_s,
			  struct gran_result *res)
{
	uint64_t start, deadline;
	long scans0;
	int ret = -1;
	char why[256];

	cg_khugepaged_knobs_prepare();
	if (cg_knobs_take(cg_khugepaged_knobs, cg_n_khugepaged_knobs, CG_KNOB_LOCK_WAIT_MS, why,
			  sizeof(why)))
		return fail("%s", why);
	/* 6.1 enlists the mm with khugepaged only on the second call. */
	for (int i = 0; i < 2; i++)
		if (madvise(whole, len, MADV_HUGEPAGE)) {
			fail("MADV_HUGEPAGE: %s", errno_name(errno));
			goto out;
		}
	scans0 = full_scans();
	if (scans0 < 0) {
		fail("cannot read %s/full_scans", CG_KHUGEPAGED_DIR);
		goto out;
	}
	start = now_ns();
	deadline = start + (uint64_t)(timeout_s * 1e9);
	for (;;) {
		long scans = full_scans();

		if (tally(fd, res))
			goto out;
		res->full_scans = scans - scans0;
		if (res->other_collapsed == res->other_total || res->full_scans >= WANTED_SCANS)
			break;
		if (now_ns() >= deadline) {
			res->timed_out = true;
			break;
		}
		sleep_ns(POLL_NS);
	}
	res->waited_s = (double)(now_ns() - start) / 1e9;
	ret = 0;
out:
	cg_knobs_give_back();
	return ret;
}

void granularity_run(enum gran_path path, double khugepaged_timeout_s,
		     struct gran_result *res)
{
	size_t len = GRAN_EXTENTS * CG_EXTENT_SIZE;
	off_t armed_off = (off_t)(GRAN_ARMED * CG_EXTENT_SIZE);
	char *whole = NULL, *armed = NULL;
	int fd, uffd = -1;
	long holes;

	memset(res, 0, sizeof(*res));
	res->path = path;
	fail_reason[0] = '\0';
	fd = shm_create("collapse-bench-granularity", len);
	if (fd < 0)
		goto out;
	if (shm_fill(fd, 0, len, CG_FILL_EVEN_PAGES))
		goto out;
	holes = shm_holes(fd, 0, len);
	if (holes != (long)(len / page_size / 2)) {
		fail("%ld holes after filling, expected %zu", holes, len / page_size / 2);
		goto out;
	}
	whole = shm_map_aligned(fd, 0, len);
	armed = whole ? shm_map_aligned(fd, armed_off, CG_EXTENT_SIZE) : NULL;
	if (!armed)
		goto out;
	uffd = uffd_new();
	if (uffd < 0 || uffd_register_missing(uffd, armed, CG_EXTENT_SIZE))
		goto out;
	/* Page tables for the whole mapping, as in rows_collapse.c. */
	for (int e = 0; e < GRAN_EXTENTS; e++)
		if (whole[e * CG_EXTENT_SIZE] != CG_POPULATED_BYTE) {
			fail("page 0 of extent %d does not hold what was written", e);
			goto out;
		}

	if (path == GRAN_MADV_COLLAPSE) {
		/* One call over the whole file, as a user would: it tries every extent. */
		struct gran_result each;

		if (madvise(whole, len, MADV_COLLAPSE))
			res->madv_errno = errno;
		if (tally(fd, res))
			goto out;
		for (int e = 0; e < GRAN_EXTENTS; e++)
			if (res->map[e] != 'C' && res->map[e] != 'Z')
				madvise(whole + e * CG_EXTENT_SIZE, CG_EXTENT_SIZE, MADV_COLLAPSE);
		if (tally(fd, &each))
			goto out;
		res->each_other_collapsed = each.other_collapsed;
		res->each_armed_collapsed = each.armed_collapsed;
		memcpy(res->each_map, each.map, sizeof(res->each_map));
	} else if (via_khugepaged(fd, whole, len, khugepaged_timeout_s, res)) {
		goto out;
	}
	res->ok = true;
out:
	if (!res->ok)
		snprintf(res->error, sizeof(res->error), "%s",
			 fail_reason[0] ? fail_reason : "failed");
	if (uffd >= 0)
		close(uffd);
	if (armed)
		munmap(armed, CG_EXTENT_SIZE);
	if (whole)
		munmap(whole, len);
	if (fd >= 0)
		close(fd);
}
