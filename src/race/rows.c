/*
 * The table of races. Each row parks a MADV_COLLAPSE at a point, runs its
 * racing action while parked (during), says what the extent must hold
 * afterwards (ctx->expect) and, for an action that waits for the parked
 * collapse, waits for it once the collapse is released (after).
 *
 * Pages: even pages are populated, odd pages are holes (extent.h); the
 * pages each action works on are in actions.h.
 */
#define _GNU_SOURCE
#include "race.h"
#include "actions.h"

#include <errno.h>
#include <unistd.h>

const char *point_name(enum park_point point)
{
	return point == POINT_GUARDED ? "guarded" : "copied";
}

bool point_series_only(enum park_point point)
{
	return point == POINT_GUARDED;
}

const char *outcome_text(enum outcome outcome)
{
	switch (outcome) {
	case OUTCOME_REFUSED: return "refused (EBUSY)";
	case OUTCOME_GAVE_UP: return "gave up (EAGAIN)";
	case OUTCOME_GAVE_UP_OR_REFUSED: return "gave up (EAGAIN/EBUSY)";
	case OUTCOME_COMMITTED: return "committed (0)";
	case OUTCOME_ANY: return "truncated, no leak";
	}
	return "?";
}

/*
 * A pager registers and at once asks the page cache what it still has to
 * supply. At "copied" nothing the registration needs is held: it must
 * return while parked, and the collapse must then refuse.
 */
static void register_while_copied(struct race_ctx *ctx)
{
	ctx->seen.wanted = true;
	if (action_start(ctx, "UFFDIO_REGISTER", act_register_and_observe) &&
	    completes_while_parked(ctx, &ctx->action))
		ctx->armed = true;
}

static void registration_settles(struct race_ctx *ctx)
{
	action_completes_after_release(ctx);
	if (ctx->action.joined && !ctx->action.result)
		ctx->armed = true;
}

/*
 * At "guarded" the collapse holds i_mmap_rwsem for read until it has
 * committed or refused: the registration (which holds mmap_lock for write
 * while it waits for it) must not return before. While it waits, this
 * thread must not fault nor map: see main.c (mlockall).
 */
static void register_while_guarded(struct race_ctx *ctx)
{
	ctx->seen.wanted = true;
	if (action_start(ctx, "UFFDIO_REGISTER", act_register_and_observe))
		stays_blocked(ctx, &ctx->action);
}

/* A fault on a hole through the armed mapping reaches the pager at once. */
static void fault_while_parked(struct race_ctx *ctx)
{
	struct toucher *t = &ctx->window_toucher;
	int events;

	if (!row_register(ctx, "while parked") || !row_monitor(ctx) ||
	    !row_touch(ctx, t, FAULT_PAGE))
		return;
	ctx->expect[FAULT_PAGE] = INDEX_SERVED;
	if (!completes_while_parked(ctx, &t->worker))
		return;
	events = atomic_load(&ctx->monitor.events[FAULT_PAGE]);
	if (events == 1 && t->content == CG_PAGE_SERVED)
		row_fact(ctx, "its event reached the pager %lld ms after the fault, it read the pager's page",
			 atomic_load(&ctx->monitor.first_event_ms[FAULT_PAGE]) - t->worker.started_ms);
	else
		row_fail(ctx, "the fault on page %d while parked: %d events, read %s", FAULT_PAGE,
			 events, cg_page_content_name(t->content));
}

/* The pager supplies a hole on its own initiative (post-copy's background push). */
static void copy_while_parked(struct race_ctx *ctx)
{
	if (!row_register(ctx, "while parked"))
		return;
	ctx->expect[COPY_PAGE] = INDEX_SERVED;
	if (action_start(ctx, "UFFDIO_COPY", act_copy))
		completes_while_parked(ctx, &ctx->action);
}

static void write_while_parked(struct race_ctx *ctx)
{
	ctx->expect[WRITE_PAGE] = INDEX_SERVED;
	if (action_start(ctx, "pwrite", act_write))
		completes_while_parked(ctx, &ctx->action);
}

static void fallocate_while_parked(struct race_ctx *ctx)
{
	ctx->expect[FALLOC_PAGE] = INDEX_ALLOCATED;
	if (action_start(ctx, "fallocate", act_fallocate))
		completes_while_parked(ctx, &ctx->action);
}

/* Punching populated pages waits for their page locks, held by the collapse. */
static void punch_mixed_while_parked(struct race_ctx *ctx)
{
	if (!row_register(ctx, "while parked"))
		return;
	for (size_t i = PUNCH_FIRST; i < PUNCH_FIRST + PUNCH_PAGES; i++)
		ctx->expect[i] = INDEX_HOLE;
	if (action_start(ctx, "punch", act_punch_mixed))
		stays_blocked(ctx, &ctx->action);
}

/* Punching a hole has nothing to wait for. */
static void punch_hole_while_parked(struct race_ctx *ctx)
{
	if (row_register(ctx, "while parked") && action_start(ctx, "punch", act_punch_hole))
		completes_while_parked(ctx, &ctx->action);
}

static void truncate_while_parked(struct race_ctx *ctx)
{
	for (size_t i = 0; i < pages_per_extent(); i++)
		ctx->expect[i] = INDEX_HOLE;
	if (action_start(ctx, "ftruncate", act_truncate_to_zero))
		stays_blocked(ctx, &ctx->action);
}

static void truncate_half_armed_while_parked(struct race_ctx *ctx)
{
	if (!row_register(ctx, "while parked"))
		return;
	for (size_t i = pages_per_extent() / 2; i < pages_per_extent(); i++)
		ctx->expect[i] = INDEX_HOLE;
	if (action_start(ctx, "ftruncate", act_truncate_to_half))
		stays_blocked(ctx, &ctx->action);
}

static void unregister_while_parked(struct race_ctx *ctx)
{
	int err;

	if (!row_register(ctx, "while parked"))
		return;
	err = cg_uffd_unregister(ctx->uffd, ctx->amap, CG_EXTENT_SIZE);
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

const struct race_row race_rows[] = {
	{
		.name = "register-at-copied",
		.point = POINT_COPIED,
		.action = "UFFDIO_REGISTER MISSING on another mapping, then lseek and mincore",
		.outcome = OUTCOME_REFUSED,
		.probes = { 1, 511 }, .n_probes = 2,
		.during = register_while_copied,
		.after = registration_settles,
	},
	{
		.name = "fault-at-copied",
		.point = POINT_COPIED,
		.action = "register, fault on hole 1 through it, the pager serves it",
		.outcome = OUTCOME_GAVE_UP_OR_REFUSED,
		.probes = { 5 }, .n_probes = 1,
		.during = fault_while_parked,
	},
	{
		.name = "copy-at-copied",
		.point = POINT_COPIED,
		.action = "register, UFFDIO_COPY into hole 3",
		.outcome = OUTCOME_GAVE_UP_OR_REFUSED,
		.probes = { COPY_PAGE, 7 }, .n_probes = 2,
		.during = copy_while_parked,
		.after = action_completes_after_release,
	},
	{
		.name = "write-at-copied",
		.point = POINT_COPIED,
		.action = "pwrite into hole 9 (nothing armed)",
		.outcome = OUTCOME_GAVE_UP,
		.probes = { WRITE_PAGE, 13 }, .n_probes = 2,
		.during = write_while_parked,
		.after = action_completes_after_release,
	},
	{
		.name = "fallocate-at-copied",
		.point = POINT_COPIED,
		.action = "fallocate hole 11 (nothing armed)",
		.outcome = OUTCOME_GAVE_UP,
		.probes = { FALLOC_PAGE, 13 }, .n_probes = 2,
		.during = fallocate_while_parked,
		.after = action_completes_after_release,
	},
	{
		.name = "punch-at-copied",
		.point = POINT_COPIED,
		.action = "register, punch pages 16-23 (populated and holes)",
		.outcome = OUTCOME_REFUSED,
		.probes = { 1, 16, 17 }, .n_probes = 3,
		.during = punch_mixed_while_parked,
		.after = action_completes_after_release,
	},
	{
		.name = "punch-hole-at-copied",
		.point = POINT_COPIED,
		.action = "register, punch hole 1 (a hole already)",
		.outcome = OUTCOME_REFUSED,
		.probes = { PUNCH_HOLE_PAGE, 511 }, .n_probes = 2,
		.during = punch_hole_while_parked,
		.after = action_completes_after_release,
	},
	{
		.name = "truncate-at-copied",
		.point = POINT_COPIED,
		.action = "ftruncate to 0 (nothing armed)",
		.outcome = OUTCOME_ANY,
		.during = truncate_while_parked,
		.after = action_completes_after_release,
	},
	{
		.name = "truncate-half-at-copied",
		.point = POINT_COPIED,
		.action = "register, then ftruncate to 1 MiB",
		.outcome = OUTCOME_REFUSED,
		.probes = { 1, 255 }, .n_probes = 2,
		.during = truncate_half_armed_while_parked,
		.after = action_completes_after_release,
	},
	{
		.name = "unregister-at-copied",
		.point = POINT_COPIED,
		.action = "register, then UFFDIO_UNREGISTER",
		.outcome = OUTCOME_COMMITTED,
		.during = unregister_while_parked,
	},
	{
		.name = "close-uffd-at-copied",
		.point = POINT_COPIED,
		.action = "register, then close the userfaultfd",
		.outcome = OUTCOME_COMMITTED,
		.during = close_uffd_while_parked,
	},
	{
		.name = "register-at-guarded",
		.point = POINT_GUARDED,
		.action = "UFFDIO_REGISTER MISSING (thread), then lseek and mincore",
		.outcome = OUTCOME_COMMITTED,
		.probes = { 1, 2 }, .n_probes = 2,
		.during = register_while_guarded,
		.after = registration_completes_after_release,
	},
	{
		.name = "write-at-guarded",
		.point = POINT_GUARDED,
		.action = "pwrite into hole 9 (nothing armed)",
		.outcome = OUTCOME_GAVE_UP,
		.probes = { WRITE_PAGE, 13 }, .n_probes = 2,
		.during = write_while_parked,
		.after = action_completes_after_release,
	},
};

const size_t race_rows_count = sizeof(race_rows) / sizeof(race_rows[0]);
