/*
 * Runs one row: set-up, park, racing action, release, then the judgement
 * of what the collapse left behind (judge.c), and the leak check once
 * everything is closed. Every wait is bounded.
 */
#define _GNU_SOURCE
#include "race.h"
#include "park.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/* Counters are folded each second; give them a few to settle. */
#define MEMINFO_SETTLE_MS 3000

void row_fail(struct race_ctx *ctx, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	append_sep(ctx->failures, sizeof(ctx->failures), "%s", text);
}

void row_fact(struct race_ctx *ctx, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	append_sep(ctx->facts, sizeof(ctx->facts), "%s", text);
}

bool row_register(struct race_ctx *ctx, const char *when)
{
	int err = cg_uffd_register_missing(ctx->uffd, ctx->amap, CG_EXTENT_SIZE);

	if (err) {
		row_fail(ctx, "UFFDIO_REGISTER %s: %s", when, errno_name(-err));
		return false;
	}
	ctx->armed = true;
	return true;
}

bool row_monitor(struct race_ctx *ctx)
{
	int err;

	if (monitor_running(&ctx->monitor))
		return true;
	if (ctx->uffd < 0) {
		row_fail(ctx, "no userfaultfd left to serve faults");
		return false;
	}
	err = monitor_start(&ctx->monitor, ctx->uffd, ctx->amap);
	if (err)
		row_fail(ctx, "monitor thread: %s", errno_name(-err));
	return !err;
}

static long collapse(void *arg)
{
	struct race_ctx *ctx = arg;

	return madvise(ctx->cmap, CG_EXTENT_SIZE, MADV_COLLAPSE) ? -errno : 0;
}

static bool collapse_returned(void *arg)
{
	return worker_done(arg);
}

static const char *madv_text(long result)
{
	return result ? errno_name((int)-result) : "0";
}

/*
 * Waits for a toucher; one that stays blocked is woken by closing the uffd
 * (the fault then goes on without it). False if it had to be given up.
 */
bool toucher_settle(struct race_ctx *ctx, struct toucher *t)
{
	if (worker_wait(&t->worker, ctx->timeout_ms))
		return worker_finish(&t->worker, 0);
	row_fail(ctx, "the read of page %zu through the armed mapping was still blocked after %ld ms",
		 t->index, ctx->timeout_ms);
	monitor_stop(&ctx->monitor, ctx->timeout_ms);
	if (ctx->uffd >= 0) {
		close(ctx->uffd);
		ctx->uffd = -1;
		ctx->armed = false;
	}
	return worker_finish(&t->worker, ctx->timeout_ms);
}

bool row_touch(struct race_ctx *ctx, struct toucher *t, size_t index)
{
	int err = toucher_start(t, ctx->amap, index);

	if (err)
		row_fail(ctx, "toucher thread: %s", errno_name(-err));
	else if (t == &ctx->window_toucher)
		ctx->window_touch = true;
	return !err;
}

/* Closes everything the row opened, never touching what a stuck thread uses. */
static void teardown(struct race_ctx *ctx)
{
	bool stuck;

	monitor_stop(&ctx->monitor, ctx->timeout_ms);
	if (ctx->window_touch && !worker_done(&ctx->window_toucher.worker) && ctx->uffd >= 0) {
		close(ctx->uffd);	/* wakes a fault still waiting for the pager */
		ctx->uffd = -1;
	}
	stuck = !worker_finish(&ctx->window_toucher.worker, ctx->timeout_ms) ||
		!worker_finish(&ctx->probe.worker, ctx->timeout_ms);
	if (!worker_finish(&ctx->action, ctx->timeout_ms)) {
		row_fail(ctx, "%s never returned", ctx->action.name);
		stuck = true;
	}
	if (!worker_finish(&ctx->collapse, ctx->timeout_ms))
		stuck = true;
	if (ctx->uffd >= 0)
		close(ctx->uffd);
	ctx->uffd = -1;
	if (stuck) {
		row_fail(ctx, "threads left behind: mappings and memfd not closed");
		return;
	}
	extent_unmap(ctx->amap);
	extent_unmap(ctx->cmap);
	ctx->amap = ctx->cmap = NULL;
	if (ctx->fd >= 0)
		close(ctx->fd);
	ctx->fd = -1;
}

static void check_no_leak(struct race_ctx *ctx)
{
	struct shmem_usage now;

	if (ctx->fd >= 0)
		return;		/* not closed: nothing to compare */
	if (meminfo_settle(&ctx->mem_base, MEMINFO_SETTLE_MS, &now))
		row_fact(ctx, "Shmem and ShmemHugePages back to the baseline");
	else
		row_fail(ctx, "after closing everything: Shmem %ld kB, ShmemHugePages %ld kB; baseline %ld kB, %ld kB",
			 now.shmem_kb, now.huge_kb, ctx->mem_base.shmem_kb, ctx->mem_base.huge_kb);
}

static bool set_up(struct race_ctx *ctx)
{
	char why[160] = "";
	long holes;
	int err = meminfo_read(&ctx->mem_base);

	if (err) {
		row_fail(ctx, "set-up: /proc/meminfo: %s", errno_name(-err));
		return false;
	}
	ctx->fd = extent_create(why, sizeof(why));
	if (ctx->fd < 0) {
		row_fail(ctx, "set-up: %s", why);
		return false;
	}
	ctx->cmap = extent_map(ctx->fd);
	ctx->amap = extent_map(ctx->fd);
	if (!ctx->cmap || !ctx->amap) {
		row_fail(ctx, "set-up: mmap of the memfd: %s", errno_name(errno));
		return false;
	}
	ctx->uffd = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
	if (ctx->uffd < 0) {
		row_fail(ctx, "set-up: userfaultfd: %s", errno_name(-ctx->uffd));
		return false;
	}
	/*
	 * Map page 0 through the collapsing mapping, so that it has a page
	 * table: 6.1's MADV_COLLAPSE reports EINVAL (SCAN_PMD_NULL) for a
	 * range without one even when the page cache collapse succeeded.
	 */
	if (page_classify(ctx->cmap, 0) != CG_PAGE_POPULATED) {
		row_fail(ctx, "set-up: page 0 does not read the populated pattern");
		return false;
	}
	holes = cg_count_holes(ctx->fd, 0, CG_EXTENT_SIZE);
	if (holes != (long)pages_per_extent() / 2) {
		row_fail(ctx, "set-up: %ld holes before the collapse, expected %zu", holes,
			 pages_per_extent() / 2);
		return false;
	}
	for (size_t i = 0; i < pages_per_extent(); i++)
		ctx->expect[i] = page_populated_initially(i) ? INDEX_POPULATED : INDEX_HOLE;
	err = meminfo_read(&ctx->mem_before);
	if (err) {
		row_fail(ctx, "set-up: /proc/meminfo: %s", errno_name(-err));
		return false;
	}
	return true;
}

/* Arms the point, starts the collapse and waits until it parks. */
static bool park_collapse(struct race_ctx *ctx)
{
	const char *point = point_name(ctx->row->point);
	char want[32], state[64];
	int err = park_arm(point);

	if (err == -EINVAL) {
		ctx->skipped = true;
		row_fact(ctx, "park point \"%s\" not supported by this kernel", point);
		return false;
	}
	if (err) {
		row_fail(ctx, "arming %s: %s", point, errno_name(-err));
		return false;
	}
	err = worker_start(&ctx->collapse, "MADV_COLLAPSE", collapse, ctx);
	if (err) {
		park_disarm();
		row_fail(ctx, "collapse thread: %s", errno_name(-err));
		return false;
	}
	snprintf(want, sizeof(want), "parked %s", point);
	if (park_wait_state(want, ctx->timeout_ms, collapse_returned, &ctx->collapse,
			    state, sizeof(state))) {
		row_fact(ctx, "parked at %s after %lld ms", point, now_ms() - ctx->collapse.started_ms);
		return true;
	}
	park_reset();
	if (!worker_finish(&ctx->collapse, ctx->timeout_ms)) {
		row_fail(ctx, "the collapse never parked (state \"%s\") and MADV_COLLAPSE did not return", state);
	} else if (ctx->collapse.result == -EINVAL) {
		ctx->skipped = true;
		row_fact(ctx, "MADV_COLLAPSE not supported (EINVAL)");
	} else if (point_series_only(ctx->row->point)) {
		ctx->skipped = true;
		row_fact(ctx, "the kernel takes the point \"%s\" but the collapse returned %s without parking there: only the series has that window (vanilla + the park facility accepts the name, it never parks)",
			 point, madv_text(ctx->collapse.result));
	} else {
		row_fail(ctx, "MADV_COLLAPSE returned %s without parking at %s (state \"%s\")",
			 madv_text(ctx->collapse.result), point, state);
	}
	return false;
}

static void run_parked(struct race_ctx *ctx)
{
	char state[64];
	long madv;
	int err;

	ctx->row->during(ctx);
	ctx->release_ms = now_ms();
	err = park_release();
	if (err)
		row_fail(ctx, "release: %s (the park timed out?)", errno_name(-err));
	if (ctx->row->after)
		ctx->row->after(ctx);
	if (!worker_finish(&ctx->collapse, ctx->timeout_ms)) {
		park_reset();
		row_fail(ctx, "MADV_COLLAPSE did not return within %ld ms of the release", ctx->timeout_ms);
		return;
	}
	madv = ctx->collapse.result;
	row_fact(ctx, "MADV_COLLAPSE %s", madv_text(madv));
	if (park_state(state, sizeof(state)) == 0 && strcmp(state, "idle") != 0)
		row_fail(ctx, "park state \"%s\" after the collapse, expected idle", state);
	judge_outcome(ctx, madv);
}

void run_row(const struct race_row *row, struct race_ctx *ctx, long timeout_ms,
	     const char *skip_why, struct race_result *result)
{
	long long start = now_ms();

	memset(ctx, 0, sizeof(*ctx));
	ctx->row = row;
	ctx->timeout_ms = timeout_ms;
	ctx->fd = ctx->uffd = -1;

	memset(result, 0, sizeof(*result));
	result->row = row->name;
	result->point = point_name(row->point);
	result->expected = outcome_text(row->outcome);
	if (skip_why) {
		result->verdict = CG_ROW_SKIP;
		format_into(result->detail, sizeof(result->detail), "%s", skip_why);
		return;
	}

	note("%s: start", row->name);
	if (set_up(ctx) && park_collapse(ctx))
		run_parked(ctx);
	park_reset();
	teardown(ctx);
	if (!ctx->skipped)
		check_no_leak(ctx);

	result->elapsed_ms = (long)(now_ms() - start);
	if (ctx->failures[0]) {
		result->verdict = CG_ROW_FAIL;
		format_into(result->detail, sizeof(result->detail), "%s", ctx->failures);
		if (ctx->facts[0])
			append_sep(result->detail, sizeof(result->detail), "observed: %s", ctx->facts);
	} else if (ctx->skipped) {
		result->verdict = CG_ROW_SKIP;
		format_into(result->detail, sizeof(result->detail), "%s", ctx->facts);
	} else {
		result->verdict = CG_ROW_PASS;
		format_into(result->detail, sizeof(result->detail), "%s", ctx->facts);
	}
	note("%s: %s", row->name, cg_row_verdict_name(result->verdict));
}
