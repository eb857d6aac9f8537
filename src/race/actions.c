#define _GNU_SOURCE
#include "actions.h"
#include "park.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How long an action that must block is watched doing so. */
#define BLOCK_PROBE_MS 300

bool action_start(struct race_ctx *ctx, const char *what, long (*fn)(void *arg))
{
	int err = worker_start(&ctx->action, what, fn, ctx);

	if (err)
		row_fail(ctx, "%s thread: %s", what, errno_name(-err));
	return !err;
}

static bool still_parked(struct race_ctx *ctx, char *state, size_t size)
{
	char want[32];

	snprintf(want, sizeof(want), "parked %s", point_name(ctx->row->point));
	return park_state(state, size) == 0 && strcmp(state, want) == 0;
}

bool completes_while_parked(struct race_ctx *ctx, struct worker *w)
{
	char state[64], task;

	if (!worker_wait(w, ctx->timeout_ms)) {
		task = worker_state(w);
		row_fail(ctx, "%s did not complete while the collapse was parked (state %c after %ld ms%s)",
			 w->name, task, ctx->timeout_ms,
			 task == 'D' ? ": it waits for the collapse" : "");
		return false;
	}
	if (!still_parked(ctx, state, sizeof(state))) {
		row_fail(ctx, "%s completed, but the collapse was no longer parked (\"%s\")",
			 w->name, state);
		return false;
	}
	if (w->result) {
		row_fail(ctx, "%s while parked: %s", w->name, errno_name((int)-w->result));
		return false;
	}
	row_fact(ctx, "%s completed while parked, in %ld ms", w->name, worker_elapsed_ms(w));
	return true;
}

bool stays_blocked(struct race_ctx *ctx, struct worker *w)
{
	long long waited;
	char state;

	if (!worker_wait_blocked(w, ctx->timeout_ms, &state)) {
		if (worker_done(w))
			row_fail(ctx, "%s completed while the collapse was parked (%s)", w->name,
				 w->result ? errno_name((int)-w->result) : "0");
		else
			row_fail(ctx, "%s not blocked in the kernel while parked (state %c after %ld ms)",
				 w->name, state, ctx->timeout_ms);
		return false;
	}
	waited = now_ms() - w->started_ms;
	if (waited < BLOCK_PROBE_MS)
		sleep_ms((long)(BLOCK_PROBE_MS - waited));
	state = worker_state(w);
	if (worker_done(w) || state != 'D') {
		row_fail(ctx, "%s did not stay blocked while parked (%s after %d ms)", w->name,
			 worker_done(w) ? "completed" : "woke up", BLOCK_PROBE_MS);
		return false;
	}
	row_fact(ctx, "%s blocked (D) while parked, %lld ms", w->name, now_ms() - w->started_ms);
	return true;
}

void action_completes_after_release(struct race_ctx *ctx)
{
	struct worker *w = &ctx->action;

	if (!w->created || w->joined)
		return;
	if (!worker_finish(w, ctx->timeout_ms)) {
		row_fail(ctx, "%s still blocked %ld ms after release", w->name, ctx->timeout_ms);
		return;
	}
	if (w->ended_ms < ctx->release_ms)
		return;
	if (w->result)
		row_fail(ctx, "%s: %s", w->name, errno_name((int)-w->result));
	else if (w->ended_ms >= ctx->release_ms)
		row_fact(ctx, "%s completed %lld ms after release", w->name,
			 w->ended_ms - ctx->release_ms);
}

void registration_completes_after_release(struct race_ctx *ctx)
{
	struct worker *w = &ctx->action;

	if (!w->created)
		return;
	if (!worker_finish(w, ctx->timeout_ms)) {
		row_fail(ctx, "UFFDIO_REGISTER still blocked %ld ms after release", ctx->timeout_ms);
		return;
	}
	if (w->result) {
		row_fail(ctx, "UFFDIO_REGISTER: %s", errno_name((int)-w->result));
		return;
	}
	ctx->armed = true;
	if (w->ended_ms >= ctx->release_ms)
		row_fact(ctx, "UFFDIO_REGISTER completed %lld ms after release",
			 w->ended_ms - ctx->release_ms);
	else
		row_fail(ctx, "UFFDIO_REGISTER completed %lld ms before the release",
			 ctx->release_ms - w->ended_ms);
}

long act_register(void *arg)
{
	struct race_ctx *ctx = arg;

	return cg_uffd_register_missing(ctx->uffd, ctx->amap, CG_EXTENT_SIZE);
}

/*
 * What a pager does right after registering: ask the page cache which
 * indices it still has to supply. Stack buffers only, no allocation.
 */
long act_register_and_observe(void *arg)
{
	struct race_ctx *ctx = arg;
	struct observation *seen = &ctx->seen;
	bool resident[EXTENT_PAGES_MAX];
	int err = cg_uffd_register_missing(ctx->uffd, ctx->amap, CG_EXTENT_SIZE);

	if (err)
		return err;
	seen->err = cg_hole_map(ctx->fd, 0, CG_EXTENT_SIZE, seen->hole_lseek);
	if (!seen->err)
		seen->err = extent_residency(ctx->amap, resident);
	seen->at_ms = now_ms();
	for (size_t i = 0; i < pages_per_extent() && !seen->err; i++)
		seen->hole_mincore[i] = !resident[i];
	seen->made = !seen->err;
	return 0;
}

long act_copy(void *arg)
{
	struct race_ctx *ctx = arg;

	return uffd_copy_served(ctx->uffd, ctx->amap + COPY_PAGE * page_size, COPY_PAGE);
}

long act_write(void *arg)
{
	struct race_ctx *ctx = arg;

	return pwrite_served(ctx->fd, WRITE_PAGE);
}

long act_fallocate(void *arg)
{
	struct race_ctx *ctx = arg;

	return fallocate(ctx->fd, 0, (off_t)(FALLOC_PAGE * page_size), (off_t)page_size) ?
		-errno : 0;
}

static long punch(struct race_ctx *ctx, size_t first, size_t pages)
{
	return fallocate(ctx->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)(first * page_size), (off_t)(pages * page_size)) ? -errno : 0;
}

long act_punch_mixed(void *arg)
{
	return punch(arg, PUNCH_FIRST, PUNCH_PAGES);
}

long act_punch_hole(void *arg)
{
	return punch(arg, PUNCH_HOLE_PAGE, 1);
}

long act_truncate_to_zero(void *arg)
{
	struct race_ctx *ctx = arg;

	return ftruncate(ctx->fd, 0) ? -errno : 0;
}

long act_truncate_to_half(void *arg)
{
	struct race_ctx *ctx = arg;

	return ftruncate(ctx->fd, (off_t)(CG_EXTENT_SIZE / 2)) ? -errno : 0;
}
