#define _GNU_SOURCE
#include "paths.h"
#include "cg_knob_hold.h"
#include "cg_thp_knobs.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define MADV_COLLAPSE_TRIES 5
#define KHUGEPAGED_POLL_MS  20
#define KHUGEPAGED_SCANS    2
/* How long a run waits for another one that holds the THP knobs. */
#define KNOB_LOCK_WAIT_MS   (10 * 60 * 1000)

void collapse_job_observe(struct collapse_job *job)
{
	job->holes_after = cg_count_holes(job->memfd, job->file_offset, CG_EXTENT_SIZE);
	if (job->pattern == CG_FILL_EVEN_PAGES) {
		job->collapsed = job->holes_after == 0;
		return;
	}
	job->thp = job->reader ? extent_thp_state(job->reader, job->thp_how, sizeof(job->thp_how))
			       : THP_UNKNOWN;
	job->collapsed = job->thp == THP_YES;
}

/* ---- madv_collapse: one synchronous MADV_COLLAPSE ---- */

static int madv_column_begin(char *why, size_t why_size)
{
	(void)why;
	(void)why_size;
	return 0;
}

/*
 * 6.1 returns EINVAL (SCAN_PMD_NULL) after a successful collapse when the
 * collapsing mapping has no page table yet.  Reading the extent's first page
 * through it, when that page is in the page cache (never a hole: mincore
 * tells without faulting), makes the errno report the collapse itself.
 */
static void give_page_table(const struct collapse_job *job)
{
	unsigned char resident = 0;

	if (mincore(job->addr, page_size, &resident) == 0 && (resident & 1))
		(void)*(volatile const char *)job->addr;
}

static void madv_trigger(struct collapse_job *job)
{
	job->madv_called = true;
	give_page_table(job);
	/* EAGAIN is transient (page locked, not yet on the LRU): retry a little. */
	for (int tries = 0; tries < MADV_COLLAPSE_TRIES; tries++) {
		job->madv_ret = madvise(job->addr, CG_EXTENT_SIZE, MADV_COLLAPSE);
		job->madv_errno = job->madv_ret ? errno : 0;
		if (job->madv_errno != EAGAIN)
			break;
		sleep_ms(10);
	}
	if (job->madv_ret)
		format_into(job->info, sizeof(job->info), "%s", errno_name(job->madv_errno));
	else
		format_into(job->info, sizeof(job->info), "ret 0");
	format_into(job->detail, sizeof(job->detail), "MADV_COLLAPSE returned %d%s%s",
		    job->madv_ret, job->madv_ret ? " " : "",
		    job->madv_ret ? errno_name(job->madv_errno) : "");
}

static void madv_wait(struct collapse_job *job)
{
	collapse_job_observe(job);
}

/* ---- khugepaged: make the range eligible and let khugepaged find it ---- */

static long scans_at_trigger;
static long long trigger_time_ms;

static int khugepaged_column_begin(char *why, size_t why_size)
{
	if (access(CG_KHUGEPAGED_DIR "/full_scans", R_OK)) {
		format_into(why, why_size, "khugepaged not in sysfs (%s)", errno_name(errno));
		return -1;
	}
	if (geteuid() != 0) {
		format_into(why, why_size, "needs root");
		return -1;
	}
	cg_khugepaged_knobs_prepare();
	return cg_knobs_take(cg_khugepaged_knobs, cg_n_khugepaged_knobs, KNOB_LOCK_WAIT_MS,
			     why, why_size);
}

static void khugepaged_column_end(void)
{
	cg_knobs_give_back();
}

static int khugepaged_prepare(struct collapse_job *job, char *why, size_t why_size)
{
	/*
	 * Twice on purpose: 6.1 checks the shmem VMA's old flags on the first
	 * MADV_HUGEPAGE and only the second one puts the mm on khugepaged's list.
	 */
	for (int i = 0; i < 2; i++) {
		if (madvise(job->addr, CG_EXTENT_SIZE, MADV_HUGEPAGE)) {
			format_into(why, why_size, "MADV_HUGEPAGE: %s", errno_name(errno));
			return -1;
		}
	}
	return 0;
}

static void khugepaged_trigger(struct collapse_job *job)
{
	(void)job;
	scans_at_trigger = cg_sysfs_long(CG_KHUGEPAGED_DIR "/full_scans");
	trigger_time_ms = now_ms();
}

/* Some holes of a holey extent filled, not all: khugepaged is at it. */
static bool collapse_in_progress(const struct collapse_job *job)
{
	return job->pattern == CG_FILL_EVEN_PAGES && job->holes_after > 0 &&
	       job->holes_after < cg_fill_holes(job->pattern);
}

static void khugepaged_wait(struct collapse_job *job)
{
	long scans = scans_at_trigger;

	for (;;) {
		long long elapsed = now_ms() - trigger_time_ms;

		collapse_job_observe(job);
		if (job->collapsed) {
			format_into(job->info, sizeof(job->info), "%lld ms", elapsed);
			format_into(job->detail, sizeof(job->detail),
				    "khugepaged collapsed the extent after %lld ms", elapsed);
			return;
		}
		/*
		 * Two completed passes since eligibility: one fully saw the range.
		 * Unless some holes are filled already: a collapse in progress (a
		 * slow debug kernel) is no refusal, wait for it up to the timeout.
		 */
		if (scans >= scans_at_trigger + KHUGEPAGED_SCANS && !collapse_in_progress(job)) {
			format_into(job->info, sizeof(job->info), "%d scans", KHUGEPAGED_SCANS);
			format_into(job->detail, sizeof(job->detail),
				    "not collapsed after %ld full khugepaged scans (%lld ms)",
				    scans - scans_at_trigger, elapsed);
			return;
		}
		if (elapsed >= job->timeout_ms) {
			job->inconclusive = true;
			format_into(job->info, sizeof(job->info), "timeout");
			format_into(job->detail, sizeof(job->detail),
				    "inconclusive: khugepaged did %ld of %d full scans in %lld ms,"
				    " no collapse", scans - scans_at_trigger, KHUGEPAGED_SCANS, elapsed);
			return;
		}
		sleep_ms(job->timeout_ms - elapsed < KHUGEPAGED_POLL_MS ?
			 (long)(job->timeout_ms - elapsed) : KHUGEPAGED_POLL_MS);
		scans = cg_sysfs_long(CG_KHUGEPAGED_DIR "/full_scans");
	}
}

const struct collapse_path collapse_paths[] = {
	{
		.name = "madv_collapse",
		.alias = "madv",
		.description = "madvise(MADV_COLLAPSE) on the collapsing mapping",
		.column_begin = madv_column_begin,
		.trigger = madv_trigger,
		.wait = madv_wait,
	},
	{
		.name = "khugepaged",
		.alias = NULL,
		.description = "MADV_HUGEPAGE (twice), shmem_enabled=advise, wait for khugepaged",
		.column_begin = khugepaged_column_begin,
		.column_end = khugepaged_column_end,
		.prepare = khugepaged_prepare,
		.trigger = khugepaged_trigger,
		.wait = khugepaged_wait,
	},
};
const size_t n_collapse_paths = sizeof(collapse_paths) / sizeof(collapse_paths[0]);

const struct collapse_path *collapse_path_find(const char *name)
{
	for (size_t i = 0; i < n_collapse_paths; i++) {
		const struct collapse_path *p = &collapse_paths[i];

		if (!strcmp(name, p->name) || (p->alias && !strcmp(name, p->alias)))
			return p;
	}
	return NULL;
}
