/*
 * What a row leaves behind, judged once the collapse returned: the return
 * of MADV_COLLAPSE, every index of the extent against ctx->expect (through
 * lseek and mincore first, which change nothing, then by reading what must
 * be data through the unarmed mapping), st_blocks, ShmemHugePages, what a
 * registration saw right after it returned, and reads through the armed
 * mapping (the probes), which must fault to the pager exactly for holes.
 */
#define _GNU_SOURCE
#include "race.h"

#include <errno.h>
#include <string.h>

/* Counters are folded each second; give them a few to settle. */
#define MEMINFO_SETTLE_MS 3000

const char *index_state_name(enum index_state state)
{
	switch (state) {
	case INDEX_HOLE: return "holes";
	case INDEX_POPULATED: return "populated pages";
	case INDEX_SERVED: return "pages of the pager";
	case INDEX_ALLOCATED: return "fallocated pages";
	case INDEX_ZEROED: return "former holes";
	}
	return "?";
}

static const char *madv_text(long result)
{
	return result ? errno_name((int)-result) : "0";
}

static void check_return(struct race_ctx *ctx, long madv)
{
	switch (ctx->row->outcome) {
	case OUTCOME_REFUSED:
		if (madv == 0)
			row_fail(ctx, "MADV_COLLAPSE returned 0: committed over the holes behind the armed mapping");
		else if (madv != -EBUSY)
			row_fail(ctx, "MADV_COLLAPSE %s, expected EBUSY", madv_text(madv));
		break;
	case OUTCOME_GAVE_UP:
	case OUTCOME_GAVE_UP_OR_REFUSED:
		if (madv == 0)
			row_fail(ctx, "MADV_COLLAPSE returned 0: committed although a hole was filled meanwhile");
		else if (madv != -EAGAIN &&
			 (madv != -EBUSY || ctx->row->outcome != OUTCOME_GAVE_UP_OR_REFUSED))
			row_fail(ctx, "MADV_COLLAPSE %s, expected %s", madv_text(madv),
				 outcome_text(ctx->row->outcome));
		break;
	case OUTCOME_COMMITTED:
		if (madv != 0)
			row_fail(ctx, "MADV_COLLAPSE %s, expected 0 (nothing armed, no hole filled)",
				 madv_text(madv));
		break;
	case OUTCOME_ANY:
		break;
	}
}

static enum cg_page_content content_of(enum index_state state)
{
	switch (state) {
	case INDEX_POPULATED: return CG_PAGE_POPULATED;
	case INDEX_HOLE:	/* once the pager was asked */
	case INDEX_SERVED: return CG_PAGE_SERVED;
	case INDEX_ALLOCATED:
	case INDEX_ZEROED: break;
	}
	return CG_PAGE_ZEROES;
}

/* lseek and mincore of the whole extent, before anything reads it. */
static bool look_at_page_cache(struct race_ctx *ctx)
{
	int err = cg_hole_map(ctx->fd, 0, CG_EXTENT_SIZE, ctx->hole_after);

	if (!err)
		err = extent_residency(ctx->cmap, ctx->resident_after);
	if (err)
		row_fail(ctx, "looking at the extent after the collapse: %s", errno_name(-err));
	return !err;
}

/* Why index i is not what ctx->expect says, or NULL. Reads only data. */
static const char *index_wrong(struct race_ctx *ctx, size_t i, char *why, size_t size)
{
	enum index_state state = ctx->expect[i];
	enum cg_page_content content;

	if (state == INDEX_ALLOCATED)
		return NULL;	/* 6.1's lseek and mincore call it a hole: see the probe */
	if (state == INDEX_HOLE) {
		if (ctx->hole_after[i] && !ctx->resident_after[i])
			return NULL;
		format_into(why, size, "lseek %s, mincore %s", ctx->hole_after[i] ? "hole" : "data",
			    ctx->resident_after[i] ? "resident" : "not resident");
		return why;
	}
	if (state == INDEX_ZEROED && ctx->hole_after[i]) {
		format_into(why, size, "still a hole for lseek");
		return why;
	}
	content = page_classify(ctx->cmap + i * page_size, i);
	if (content == content_of(state))
		return NULL;
	format_into(why, size, "reads %s", cg_page_content_name(content));
	return why;
}

static void check_indices(struct race_ctx *ctx)
{
	size_t want[INDEX_ZEROED + 1] = { 0 }, bad[INDEX_ZEROED + 1] = { 0 };
	size_t example[INDEX_ZEROED + 1] = { 0 };
	char first[INDEX_ZEROED + 1][96], why[64];

	for (size_t i = 0; i < pages_per_extent(); i++) {
		enum index_state state = ctx->expect[i];

		if (!want[state]++)
			example[state] = i;
		if (!index_wrong(ctx, i, why, sizeof(why)))
			continue;
		if (!bad[state]++)
			format_into(first[state], sizeof(first[state]), "page %zu: %s", i, why);
	}
	for (int s = INDEX_HOLE; s <= INDEX_ZEROED; s++) {
		const char *name = index_state_name((enum index_state)s);

		if (!want[s])
			continue;
		if (bad[s])
			row_fail(ctx, "%s: %zu of %zu wrong, first %s", name, bad[s], want[s], first[s]);
		else if (s == INDEX_ALLOCATED)
			row_fact(ctx, "%s: %zu (page %zu: lseek %s, mincore %s)", name, want[s],
				 example[s], ctx->hole_after[example[s]] ? "hole" : "data",
				 ctx->resident_after[example[s]] ? "resident" : "not resident");
		else
			row_fact(ctx, "%s: %zu as expected", name, want[s]);
	}
}

static void check_extent(struct race_ctx *ctx, bool committed)
{
	struct shmem_usage now;
	long long blocks, blocks_want = 0;
	long huge_want = ctx->mem_before.huge_kb + (committed ? (long)(CG_EXTENT_SIZE >> 10) : 0);

	ctx->looked_after = look_at_page_cache(ctx);
	if (ctx->looked_after)
		check_indices(ctx);

	for (size_t i = 0; i < pages_per_extent(); i++)
		if (ctx->expect[i] != INDEX_HOLE)
			blocks_want += (long long)(page_size / 512);
	blocks = extent_blocks(ctx->fd);
	if (blocks != blocks_want)
		row_fail(ctx, "st_blocks %lld, expected %lld", blocks, blocks_want);
	else
		row_fact(ctx, "st_blocks %lld", blocks);

	if (meminfo_settle(&(struct shmem_usage){ MEMINFO_ANY, huge_want }, MEMINFO_SETTLE_MS, &now))
		row_fact(ctx, "ShmemHugePages %s", committed ? "+2048 kB" : "unchanged");
	else
		row_fail(ctx, "ShmemHugePages %+ld kB, expected %+ld kB",
			 now.huge_kb - ctx->mem_before.huge_kb, huge_want - ctx->mem_before.huge_kb);
}

/*
 * An index a registered pager saw as a hole must not be filled behind its
 * back: either it is still a hole, or the row itself filled it, or the
 * pager was asked for it.
 */
static void judge_observation(struct race_ctx *ctx)
{
	const struct observation *seen = &ctx->seen;
	size_t by_lseek = 0, by_mincore = 0, observed = 0, filled = 0, first = 0;
	char when[48];

	if (!seen->wanted || !ctx->action.joined || ctx->action.result)
		return;		/* no registration: reported where it failed */
	if (!seen->made) {
		row_fail(ctx, "looking at the page cache right after registering: %s",
			 errno_name(-seen->err));
		return;
	}
	if (!ctx->looked_after)
		return;
	for (size_t i = 0; i < pages_per_extent(); i++) {
		enum index_state state = ctx->expect[i];

		by_lseek += seen->hole_lseek[i];
		by_mincore += seen->hole_mincore[i];
		if (!seen->hole_lseek[i] && !seen->hole_mincore[i])
			continue;
		observed++;
		if (state == INDEX_SERVED || state == INDEX_ALLOCATED)
			continue;
		if (ctx->hole_after[i] && !ctx->resident_after[i])
			continue;
		if (atomic_load(&ctx->monitor.events[i]))
			continue;
		if (!filled++)
			first = i;
	}
	if (seen->at_ms < ctx->release_ms)
		format_into(when, sizeof(when), "while parked");
	else
		format_into(when, sizeof(when), "%lld ms after release", seen->at_ms - ctx->release_ms);
	if (filled)
		row_fail(ctx, "%zu of the %zu indices seen as holes right after registering (%s: lseek %zu, mincore %zu) were then filled without a fault event, first: page %zu",
			 filled, observed, when, by_lseek, by_mincore, first);
	else
		row_fact(ctx, "right after registering (%s): %zu holes by lseek, %zu by mincore, none filled since",
			 when, by_lseek, by_mincore);
}

/* One read through the armed mapping: an event and the pager's page exactly for a hole. */
static void judge_touch(struct race_ctx *ctx, const struct toucher *t, bool faulted_while_parked)
{
	size_t i = t->index;
	enum index_state state = ctx->expect[i];
	int events = atomic_load(&ctx->monitor.events[i]);
	bool want_event = faulted_while_parked || state == INDEX_HOLE;
	enum cg_page_content want = faulted_while_parked ? CG_PAGE_SERVED : content_of(state);
	const char *when = faulted_while_parked ? " (faulted while parked)" : "";

	if ((events > 0) == want_event && t->content == want)
		row_fact(ctx, "page %zu%s: %s, read %s", i, when, events ? "event" : "no event",
			 cg_page_content_name(t->content));
	else
		row_fail(ctx, "page %zu%s through the armed mapping: %s, read %s (expected %s, %s)", i,
			 when, events ? "event" : "no event", cg_page_content_name(t->content),
			 want_event ? "an event" : "no event", cg_page_content_name(want));
}

/* A fault that did not complete while parked (it was judged if it did). */
static void judge_window_toucher(struct race_ctx *ctx)
{
	struct toucher *t = &ctx->window_toucher;

	if (!ctx->window_touch)
		return;
	if (worker_done(&t->worker) && t->worker.ended_ms < ctx->release_ms)
		return;
	if (toucher_settle(ctx, t))
		judge_touch(ctx, t, true);
}

static void probe_pages(struct race_ctx *ctx)
{
	if (!ctx->row->n_probes)
		return;
	if (!ctx->armed) {
		if (ctx->uffd < 0) {
			row_fail(ctx, "the userfaultfd is closed: no probe");
			return;
		}
		if (!row_register(ctx, "after the collapse returned"))
			return;
		row_fact(ctx, "armed after the collapse returned, to probe");
	}
	if (!row_monitor(ctx))
		return;
	for (size_t k = 0; k < ctx->row->n_probes; k++) {
		if (!ctx->armed || ctx->uffd < 0) {
			row_fail(ctx, "the mapping is no longer armed: page %zu not probed",
				 ctx->row->probes[k]);
			return;
		}
		if (!row_touch(ctx, &ctx->probe, ctx->row->probes[k]) ||
		    !toucher_settle(ctx, &ctx->probe))
			return;
		judge_touch(ctx, &ctx->probe, false);
	}
}

void judge_outcome(struct race_ctx *ctx, long madv)
{
	bool committed = ctx->row->outcome == OUTCOME_COMMITTED;

	check_return(ctx, madv);
	if (committed)
		for (size_t i = 0; i < pages_per_extent(); i++)
			if (ctx->expect[i] == INDEX_HOLE)
				ctx->expect[i] = INDEX_ZEROED;
	check_extent(ctx, committed);
	judge_observation(ctx);
	judge_window_toucher(ctx);
	probe_pages(ctx);
}
