/*
 * The table of races. Each row parks a MADV_COLLAPSE at a point, runs its
 * racing action while parked (during) and, for actions that block on the
 * parked collapse, waits for them once it is released (after).
 *
 * Pages: even pages are populated, odd pages are holes (extent.h).
 */
#define _GNU_SOURCE
#include "race.h"
#include "park.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* How long a racing action is given to show that it blocks. */
#define BLOCK_PROBE_MS 300

/* The punched range: populated and hole indices mixed. */
#define PUNCH_FIRST 16
#define PUNCH_PAGES 8

/* The page the fault and the UFFDIO_COPY rows race on (both holes). */
#define FAULT_PAGE 1
#define COPY_PAGE  3

const char *point_name(enum park_point point)
{
	return point == POINT_CHECKED ? "checked" : "filled";
}

const char *expectation_text(enum expectation expect)
{
	switch (expect) {
	case EXPECT_REFUSED: return "refused, holes fault";
	case EXPECT_COMMITTED: return "committed";
	case EXPECT_COMMITTED_QUIET: return "committed, no event";
	case EXPECT_NO_LEAK: return "no leak";
	}
	return "?";
}

static void register_now(struct race_ctx *ctx)
{
	row_register(ctx, "while parked");
}

/*
 * A racing action started while parked must block in the kernel (state D:
 * on the locked huge page, or on i_mmap_rwsem) and still be blocked
 * BLOCK_PROBE_MS after it started. False (and the row fails) otherwise.
 */
static bool stays_blocked(struct race_ctx *ctx, struct worker *w, const char *what)
{
	long long waited;
	char state;

	if (!worker_wait_blocked(w, ctx->timeout_ms, &state)) {
		if (worker_done(w))
			row_fail(ctx, "%s completed while the collapse was parked (%s)", what,
				 w->result ? errno_name((int)-w->result) : "0");
		else
			row_fail(ctx, "%s not blocked in the kernel while parked (state %c after %ld ms)",
				 what, state, ctx->timeout_ms);
		return false;
	}
	waited = now_ms() - w->started_ms;
	if (waited < BLOCK_PROBE_MS)
		sleep_ms((long)(BLOCK_PROBE_MS - waited));
	state = worker_state(w);
	if (worker_done(w) || state != 'D') {
		row_fail(ctx, "%s did not stay blocked while parked (%s after %d ms)", what,
			 worker_done(w) ? "completed" : "woke up", BLOCK_PROBE_MS);
		return false;
	}
	row_fact(ctx, "%s blocked (D) while parked, %lld ms", what, now_ms() - w->started_ms);
	return true;
}

/* A fault through the armed mapping while the hole holds the locked page. */
static void fault_while_parked(struct race_ctx *ctx)
{
	int err;

	if (!row_register(ctx, "while parked") || !row_monitor(ctx, true))
		return;
	err = toucher_start(&ctx->window_toucher, ctx->amap, FAULT_PAGE);
	if (err) {
		row_fail(ctx, "toucher thread: %s", errno_name(-err));
		return;
	}
	ctx->window_touch = true;
	if (!stays_blocked(ctx, &ctx->window_toucher.worker, "the fault on page 1"))
		row_fact(ctx, "it read %s", page_content_name(ctx->window_toucher.content));
}

/* The pager supplies the hole while the collapse holds it filled. */
static void copy_while_parked(struct race_ctx *ctx)
{
	int err;

	if (!row_register(ctx, "while parked"))
		return;
	err = uffd_copy_served(ctx->uffd, ctx->amap + COPY_PAGE * page_size, COPY_PAGE);
	if (!err)
		row_fail(ctx, "UFFDIO_COPY into filled page %d succeeded while parked", COPY_PAGE);
	else if (err != -EEXIST)
		row_fail(ctx, "UFFDIO_COPY into filled page %d while parked: %s, expected EEXIST",
			 COPY_PAGE, errno_name(-err));
	else
		row_fact(ctx, "UFFDIO_COPY while parked: EEXIST");
	/* The EEXIST is fine only if the faulting thread then gets its page. */
	if (!row_monitor(ctx, true))
		return;
	err = toucher_start(&ctx->window_toucher, ctx->amap, COPY_PAGE);
	if (err) {
		row_fail(ctx, "toucher thread: %s", errno_name(-err));
		return;
	}
	ctx->window_touch = true;
	stays_blocked(ctx, &ctx->window_toucher.worker, "the fault on page 3");
}

static long punch(void *arg)
{
	struct race_ctx *ctx = arg;

	return fallocate(ctx->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)(PUNCH_FIRST * page_size),
			 (off_t)(PUNCH_PAGES * page_size)) ? -errno : 0;
}

static long truncate_to_zero(void *arg)
{
	struct race_ctx *ctx = arg;

	return ftruncate(ctx->fd, 0) ? -errno : 0;
}

static long register_armed(void *arg)
{
	struct race_ctx *ctx = arg;

	return uffd_register_missing(ctx->uffd, ctx->amap, EXTENT_SIZE);
}

/* Starts a racing action that may block on the parked collapse. */
static bool start_action(struct race_ctx *ctx, const char *what, long (*fn)(void *arg))
{
	int err = worker_start(&ctx->action, what, fn, ctx);

	if (err) {
		row_fail(ctx, "%s thread: %s", what, errno_name(-err));
		return false;
	}
	stays_blocked(ctx, &ctx->action, what);
	return true;
}

/* After release: the action must complete, successfully. */
static void action_completes(struct race_ctx *ctx)
{
	const char *what = ctx->action.name;

	if (!ctx->action.created)
		return;
	if (!worker_finish(&ctx->action, ctx->timeout_ms)) {
		row_fail(ctx, "%s still blocked %ld ms after release", what, ctx->timeout_ms);
		return;
	}
	if (ctx->action.result)
		row_fail(ctx, "%s: %s", what, errno_name((int)-ctx->action.result));
}

static void punch_while_parked(struct race_ctx *ctx)
{
	if (!row_register(ctx, "while parked"))
		return;
	if (!start_action(ctx, "punch", punch))
		return;
	/* What a refused collapse plus the punch must leave behind. */
	for (size_t i = PUNCH_FIRST; i < PUNCH_FIRST + PUNCH_PAGES; i++) {
		if (ctx->populated[i])
			ctx->blocks_expected -= (long long)(page_size / 512);
		ctx->populated[i] = false;
		ctx->expect_hole[i] = true;
	}
}

static void truncated(struct race_ctx *ctx)
{
	ctx->truncated = true;
	ctx->blocks_expected = 0;
	for (size_t i = 0; i < extent_pages(); i++) {
		ctx->populated[i] = false;
		ctx->expect_hole[i] = true;
	}
}

static void truncate_while_parked(struct race_ctx *ctx)
{
	if (start_action(ctx, "ftruncate", truncate_to_zero))
		truncated(ctx);
}

static void truncate_armed_while_parked(struct race_ctx *ctx)
{
	if (row_register(ctx, "while parked"))
		truncate_while_parked(ctx);
}

static void unregister_while_parked(struct race_ctx *ctx)
{
	int err;

	if (!row_register(ctx, "while parked"))
		return;
	err = uffd_unregister(ctx->uffd, ctx->amap, EXTENT_SIZE);
	if (err) {
		row_fail(ctx, "UFFDIO_UNREGISTER while parked: %s", errno_name(-err));
		return;
	}
	ctx->armed = false;
}

static void close_uffd_while_parked(struct race_ctx *ctx)
{
	if (!row_register(ctx, "while parked"))
		return;
	close(ctx->uffd);
	ctx->uffd = -1;
	ctx->armed = false;
}

/*
 * Parked at "checked": the check passed and i_mmap_rwsem is held for read
 * until the commit. The registration (which holds mmap_lock for write while
 * it waits for i_mmap_rwsem) must not complete before the release. While it
 * waits, this thread must not fault nor map: see main.c (mlockall).
 */
static void register_at_checked(struct race_ctx *ctx)
{
	int err = worker_start(&ctx->action, "UFFDIO_REGISTER", register_armed, ctx);

	if (err) {
		row_fail(ctx, "register thread: %s", errno_name(-err));
		return;
	}
	stays_blocked(ctx, &ctx->action, "UFFDIO_REGISTER");
}

static void register_completes(struct race_ctx *ctx)
{
	if (!ctx->action.created)
		return;
	if (!worker_finish(&ctx->action, ctx->timeout_ms)) {
		row_fail(ctx, "UFFDIO_REGISTER still blocked %ld ms after release", ctx->timeout_ms);
		return;
	}
	if (ctx->action.result) {
		row_fail(ctx, "UFFDIO_REGISTER: %s", errno_name((int)-ctx->action.result));
		return;
	}
	ctx->armed = true;
	if (ctx->action.ended_ms >= ctx->release_ms)
		row_fact(ctx, "UFFDIO_REGISTER completed %lld ms after release",
			 ctx->action.ended_ms - ctx->release_ms);
	else
		row_fail(ctx, "UFFDIO_REGISTER completed %lld ms before the release",
			 ctx->release_ms - ctx->action.ended_ms);
}

const struct race_row race_rows[] = {
	{
		.name = "register-at-filled",
		.point = POINT_FILLED,
		.action = "UFFDIO_REGISTER MISSING on another mapping",
		.expect = EXPECT_REFUSED,
		.touches = { 1, 511 }, .n_touches = 2,
		.during = register_now,
	},
	{
		.name = "fault-at-filled",
		.point = POINT_FILLED,
		.action = "register, then fault on a hole through it",
		.expect = EXPECT_REFUSED,
		.touches = { 5 }, .n_touches = 1,
		.during = fault_while_parked,
	},
	{
		.name = "copy-at-filled",
		.point = POINT_FILLED,
		.action = "register, UFFDIO_COPY into a hole, then fault on it",
		.expect = EXPECT_REFUSED,
		.touches = { 7 }, .n_touches = 1,
		.during = copy_while_parked,
	},
	{
		.name = "punch-at-filled",
		.point = POINT_FILLED,
		.action = "register, punch pages 16-23 (populated and holes)",
		.expect = EXPECT_REFUSED,
		.touches = { 1, 16, 17 }, .n_touches = 3,
		.during = punch_while_parked,
		.after = action_completes,
	},
	{
		.name = "truncate-at-filled",
		.point = POINT_FILLED,
		.action = "ftruncate to 0",
		.expect = EXPECT_NO_LEAK,
		.during = truncate_while_parked,
		.after = action_completes,
	},
	{
		.name = "truncate-armed-at-filled",
		.point = POINT_FILLED,
		.action = "register, then ftruncate to 0",
		.expect = EXPECT_NO_LEAK,
		.during = truncate_armed_while_parked,
		.after = action_completes,
	},
	{
		.name = "unregister-at-filled",
		.point = POINT_FILLED,
		.action = "register, then UFFDIO_UNREGISTER",
		.expect = EXPECT_COMMITTED,
		.during = unregister_while_parked,
	},
	{
		.name = "close-uffd-at-filled",
		.point = POINT_FILLED,
		.action = "register, then close the userfaultfd",
		.expect = EXPECT_COMMITTED,
		.during = close_uffd_while_parked,
	},
	{
		.name = "register-at-checked",
		.point = POINT_CHECKED,
		.action = "UFFDIO_REGISTER MISSING (thread)",
		.expect = EXPECT_COMMITTED_QUIET,
		.touches = { 1, 2 }, .n_touches = 2,
		.during = register_at_checked,
		.after = register_completes,
	},
};

const size_t race_rows_count = sizeof(race_rows) / sizeof(race_rows[0]);
