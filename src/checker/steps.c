/*
 * The one interpreter of the scenario table: runs a row's script (scenarios.h)
 * for one memory type and one collapse path. Actions work on the armed
 * mappings (register, split, move, fork, unmap, exit...); checks (checks.c)
 * collapse one extent each and judge it.
 */
#define _GNU_SOURCE
#include "steps.h"
#include "run.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum step_status { STEP_OK, STEP_FAILED, STEP_SKIPPED };

static const char *op_name(enum step_op op)
{
	switch (op) {
	case STEP_ARM:		return "arm";
	case STEP_REGISTER:	return "register";
	case STEP_UNREGISTER:	return "unregister";
	case STEP_CLOSE_UFFD:	return "close uffd";
	case STEP_SPLIT:	return "split";
	case STEP_MERGE:	return "merge";
	case STEP_MREMAP:	return "mremap";
	case STEP_FORK:		return "fork";
	case STEP_CHILD_EXIT:	return "child exit";
	case STEP_MUNMAP:	return "munmap";
	case STEP_REMOTE_ARM:	return "arm in child";
	case STEP_REMOTE_EXIT:	return "armed child exit";
	case STEP_SAFE:		return "safety check";
	case STEP_CONTROL:	return "control";
	case STEP_END:		break;
	}
	return "end";
}

static const char *slot_name(enum step_slot slot)
{
	static const char *const names[] = { "A", "B", "child", "remote" };

	return names[slot];
}

static bool is_check(const struct step *st)
{
	return st->op == STEP_SAFE || st->op == STEP_CONTROL;
}

/* 0, 1 when the memory type cannot be had here (SKIP), -1 with why (ERROR). */
static int setup_file(struct lrun *run)
{
	const struct scenario *sc = run->sc;
	long holes;
	int fd;

	run->file_size = sc->n_extents * CG_EXTENT_SIZE;
	fd = memory_file_make(run->memory, run->file_size, run->file_how, sizeof(run->file_how),
			      run->why, sizeof(run->why));
	if (fd == -2)
		return 1;
	if (fd < 0)
		return -1;
	run->fd = fd;
	if (memfd_fill(fd, run->file_size, sc->pattern, run->why, sizeof(run->why)))
		return -1;
	for (unsigned e = 0; e < sc->n_extents; e++) {
		holes = cg_count_holes(fd, (off_t)(e * CG_EXTENT_SIZE), CG_EXTENT_SIZE);
		if (holes != cg_fill_holes(sc->pattern)) {
			format_into(run->why, sizeof(run->why),
				    "setup: extent %u has %ld holes after filling, expected %ld",
				    e, holes, cg_fill_holes(sc->pattern));
			return -1;
		}
	}
	return 0;
}

static bool needs_uffd(const struct scenario *sc)
{
	for (const struct step *st = sc->steps; st->op != STEP_END; st++)
		if (st->op == STEP_ARM)
			return true;
	return false;
}

/* 0, 1 when there is no userfaultfd or it lacks a feature (SKIP), -1 (ERROR). */
static int open_uffd(struct lrun *run)
{
	run->uffd = uffd_open_features(run->sc->features, run->why, sizeof(run->why));
	if (run->uffd >= 0)
		return 0;
	/* Without any feature asked for, a failure means no userfaultfd here. */
	return run->uffd == -2 || !run->sc->features ? 1 : -1;
}

static void teardown(struct lrun *run)
{
	if (run->remote.pid > 0)
		remote_release(&run->remote);
	if (run->child.pid > 0)
		forked_exit(&run->child);
	if (run->child_uffd >= 0)
		close(run->child_uffd);
	if (run->uffd >= 0)
		close(run->uffd);
	for (int i = 0; i < 2; i++)
		if (run->slot[i].base && !run->slot[i].busy)
			munmap(run->slot[i].base, run->slot[i].len);
	if (run->other)
		munmap(run->other, run->file_size);
	if (run->fd >= 0)
		close(run->fd);
}

/* ---- actions ---- */

static enum step_status fail(struct lrun *run, const char *fmt, const char *what)
{
	format_into(run->why, sizeof(run->why), fmt, what);
	return STEP_FAILED;
}

static enum step_status act_mremap(struct lrun *run, struct slot *slot)
{
	bool want_event = run->sc->features & UFFD_FEATURE_EVENT_REMAP;
	struct uffd_event_waiter waiter;
	char *to = reserve_aligned(slot->len), *moved;
	int err;

	if (to == MAP_FAILED)
		return fail(run, "reserve mremap target: %s", errno_name(errno));
	/* mremap blocks until the monitor has read UFFD_EVENT_REMAP. */
	if (want_event && uffd_event_wait_start(&waiter, run->uffd, UFFD_EVENT_REMAP,
						run->timeout_ms)) {
		munmap(to, slot->len);
		return fail(run, "pthread_create%s", "");
	}
	moved = mremap(slot->base, slot->len, slot->len,
		       MREMAP_MAYMOVE | MREMAP_FIXED, to);
	err = errno;
	if (want_event && !uffd_event_wait_finish(&waiter) && moved != MAP_FAILED) {
		slot->base = moved;
		format_into(run->why, sizeof(run->why), "no UFFD_EVENT_REMAP read (%s)",
			    errno_name(waiter.error));
		return STEP_FAILED;
	}
	if (moved == MAP_FAILED) {
		munmap(to, slot->len);
		return fail(run, "mremap MAYMOVE|FIXED: %s", errno_name(err));
	}
	if (want_event && (waiter.msg.arg.remap.from != (uintptr_t)slot->base ||
			   waiter.msg.arg.remap.to != (uintptr_t)moved)) {
		slot->base = moved;
		return fail(run, "UFFD_EVENT_REMAP with unexpected addresses%s", "");
	}
	note("  mremap %p -> %p%s", (void *)slot->base, (void *)moved,
	     want_event ? ", UFFD_EVENT_REMAP read" : "");
	slot->base = moved;
	return STEP_OK;
}

static enum step_status act_fork(struct lrun *run)
{
	bool want_event = run->sc->features & UFFD_FEATURE_EVENT_FORK;
	struct uffd_event_waiter waiter;
	int started;

	if (run->child.pid > 0)
		return fail(run, "fork: a forked child is still running%s", "");
	/* fork() blocks until the monitor has read UFFD_EVENT_FORK. */
	if (want_event && uffd_event_wait_start(&waiter, run->uffd, UFFD_EVENT_FORK,
						run->timeout_ms))
		return fail(run, "pthread_create%s", "");
	started = forked_start(&run->child, run->timeout_ms, run->why, sizeof(run->why));
	if (want_event) {
		if (!uffd_event_wait_finish(&waiter)) {
			if (!started)
				format_into(run->why, sizeof(run->why),
					    "no UFFD_EVENT_FORK read (%s)",
					    errno_name(waiter.error));
			return STEP_FAILED;
		}
		if (run->child_uffd >= 0)
			close(run->child_uffd);
		run->child_uffd = (int)waiter.msg.arg.fork.ufd;
		run->child_map = run->slot[SLOT_A];
	}
	return started ? STEP_FAILED : STEP_OK;
}

static enum step_status act(struct lrun *run, const struct step *st)
{
	struct slot *slot = st->slot <= SLOT_B ? &run->slot[st->slot] : NULL;
	size_t part;
	int n;

	switch (st->op) {
	case STEP_ARM:
		slot->offset = (off_t)(st->extent * CG_EXTENT_SIZE);
		slot->len = st->n_extents ? st->n_extents * CG_EXTENT_SIZE :
			    run->file_size - (size_t)slot->offset;
		slot->base = map_extents_aligned(run->fd, slot->offset, slot->len);
		if (slot->base == MAP_FAILED) {
			slot->base = NULL;
			return fail(run, "mmap armed: %s", errno_name(errno));
		}
		/* fall through */
	case STEP_REGISTER:
		if (uffd_register_mode(run->uffd, slot->base, slot->len, st->mode,
				       run->why, sizeof(run->why)))
			return STEP_FAILED;
		return STEP_OK;
	case STEP_UNREGISTER:
		if (st->slot == SLOT_CHILD) {
			if (run->child_uffd < 0)
				return fail(run, "no uffd of the child%s", "");
			return uffd_unregister(run->child_uffd, run->child_map.base,
					       run->child_map.len, run->why,
					       sizeof(run->why)) ? STEP_FAILED : STEP_OK;
		}
		return uffd_unregister(run->uffd, slot->base, slot->len, run->why,
				       sizeof(run->why)) ? STEP_FAILED : STEP_OK;
	case STEP_CLOSE_UFFD:
		if (run->uffd >= 0)
			close(run->uffd);
		run->uffd = -1;
		return STEP_OK;
	case STEP_SPLIT:
	case STEP_MERGE:
		part = st->op == STEP_SPLIT ? st->n_extents * CG_EXTENT_SIZE : run->split_len;
		if (st->op == STEP_SPLIT)
			run->split_len = part;
		if (mprotect(slot->base, part,
			     st->op == STEP_SPLIT ? PROT_READ : PROT_READ | PROT_WRITE))
			return fail(run, "mprotect: %s", errno_name(errno));
		n = count_vmas(slot->base, slot->len);
		if (n != (st->op == STEP_SPLIT ? 2 : 1)) {
			format_into(run->why, sizeof(run->why), "%s: the armed range is %d VMAs",
				    op_name(st->op), n);
			return STEP_FAILED;
		}
		return STEP_OK;
	case STEP_MREMAP:
		return act_mremap(run, slot);
	case STEP_FORK:
		return act_fork(run);
	case STEP_CHILD_EXIT:
		if (run->child.pid <= 0)
			return fail(run, "child exit: no forked child%s", "");
		forked_exit(&run->child);
		return STEP_OK;
	case STEP_MUNMAP:
		if (munmap(slot->base, slot->len))
			return fail(run, "munmap: %s", errno_name(errno));
		slot->base = NULL;
		return STEP_OK;
	case STEP_REMOTE_ARM:
		switch (remote_arm(&run->remote, run->fd, 0, run->file_size,
				   TOUCHED_HOLE_PAGE * page_size, run->timeout_ms, run->why,
				   sizeof(run->why))) {
		case REMOTE_ARMED:	return STEP_OK;
		case REMOTE_NO_UFFD:	return STEP_SKIPPED;
		case REMOTE_FAILED:	break;
		}
		return STEP_FAILED;
	case STEP_REMOTE_EXIT:
		remote_release(&run->remote);
		return STEP_OK;
	case STEP_SAFE:
	case STEP_CONTROL:
	case STEP_END:
		break;
	}
	return fail(run, "step %s is no action", op_name(st->op));
}

/* ---- the row's verdicts ---- */

/* Worst first: a definite failure, then a broken check, then a skipped one. */
static enum verdict combine(enum verdict so_far, enum verdict next)
{
	static const int rank_of[N_VERDICTS + 1] = {
		[VERDICT_SAFE] = 1, [VERDICT_COLLAPSED] = 1, [VERDICT_SKIP] = 2,
		[VERDICT_ERROR] = 3, [VERDICT_VULNERABLE] = 4, [VERDICT_REFUSED] = 4,
		[N_VERDICTS] = 0,
	};

	return rank_of[next] > rank_of[so_far] ? next : so_far;
}

/*
 * A safety or control row of one check is that check, reported as a plain
 * row (no "steps"); a lifecycle row, or a row of several checks, has its
 * checks in "steps" and its verdicts from all of them.
 */
static void summarize_one_check(struct lrun *run, struct result *res)
{
	const struct step_result *sr = &res->steps[0];
	bool plain = run->memory == MEM_MEMFD && !run->sc->features;

	res->verdict = sr->verdict;
	res->hole_kept = sr->hole_kept;
	res->event = sr->event;
	format_into(res->madv_errno, sizeof(res->madv_errno), "%s", sr->madv_errno);
	format_into(res->info, sizeof(res->info), "%s", sr->info);
	format_into(res->detail, sizeof(res->detail), "%s%s%s%s%s", plain ? "" : run->file_how,
		    run->sc->features ? ", uffd " : "",
		    run->sc->features ? cg_uffd_feature_names(run->sc->features) : "",
		    plain ? "" : "; ", sr->detail);
	res->n_steps = 0;
}

static void summarize(struct lrun *run, struct result *res, bool aborted, bool skipped)
{
	enum verdict safety = N_VERDICTS, control = N_VERDICTS;
	bool any_safety = false;

	if (run->sc->kind != KIND_LIFECYCLE && res->n_steps == 1 && !skipped) {
		summarize_one_check(run, res);
		return;
	}

	res->hole_kept = res->event = TRI_NULL;
	for (unsigned i = 0; i < res->n_steps; i++) {
		const struct step_result *sr = &res->steps[i];

		if (sr->kind == KIND_SAFETY) {
			safety = combine(safety, sr->verdict);
			if (sr->hole_kept != TRI_NULL)
				res->hole_kept = res->hole_kept == TRI_FALSE ? TRI_FALSE :
						 sr->hole_kept;
			if (sr->event != TRI_NULL)
				res->event = res->event == TRI_FALSE ? TRI_FALSE : sr->event;
			if (!any_safety) {
				format_into(res->madv_errno, sizeof(res->madv_errno), "%s",
					    sr->madv_errno);
				any_safety = true;
			}
		} else {
			control = combine(control, sr->verdict);
		}
	}
	if (aborted) {
		/* Whatever the row did not get to check counts as broken. */
		safety = combine(safety, VERDICT_ERROR);
		control = combine(control, VERDICT_ERROR);
	}
	if (skipped)
		safety = control = VERDICT_SKIP;

	switch (run->sc->kind) {
	case KIND_LIFECYCLE:
		res->verdict = safety == N_VERDICTS ? VERDICT_ERROR : safety;
		res->control = control;
		break;
	case KIND_SAFETY:
		res->verdict = safety == N_VERDICTS ? VERDICT_ERROR : safety;
		break;
	case KIND_CONTROL:
		res->verdict = control == N_VERDICTS ? VERDICT_ERROR : control;
		for (unsigned i = 0; i < res->n_steps; i++) {
			if (res->steps[i].kind != KIND_CONTROL)
				continue;
			format_into(res->madv_errno, sizeof(res->madv_errno), "%s",
				    res->steps[i].madv_errno);
			res->hole_kept = res->steps[i].hole_kept;
			break;
		}
		break;
	}
	if (res->madv_errno[0])
		format_into(res->info, sizeof(res->info), "%s", res->madv_errno);
}

static bool step_ok(const struct step_result *sr)
{
	return sr->verdict == VERDICT_SAFE || sr->verdict == VERDICT_COLLAPSED;
}

/* One check; false when the row cannot go on. */
static bool run_check(struct lrun *run, const struct step *st, struct result *res,
		      int *told_failure)
{
	struct step_result *sr = &res->steps[res->n_steps++];
	bool usable = true;

	format_into(sr->label, sizeof(sr->label), "%s", st->label);
	sr->kind = st->op == STEP_SAFE ? KIND_SAFETY : KIND_CONTROL;
	sr->extent = st->extent;
	sr->hole_kept = sr->event = TRI_NULL;
	if (st->op == STEP_SAFE)
		usable = check_safe(run, st, sr);
	else
		check_control(run, st, sr);
	note("  %s e%u %s: %s (%s) %s", op_name(st->op), st->extent, st->label,
	     verdict_name(sr->verdict), sr->madv_errno, sr->detail);
	append_to(res->detail, sizeof(res->detail), "; e%u %s: %s%s%s", st->extent, st->label,
		  verdict_name(sr->verdict), sr->madv_errno[0] ? " " : "", sr->madv_errno);
	/* The first failure is told in full; "steps" has every detail. */
	if (!step_ok(sr) && !(*told_failure)++)
		append_to(res->detail, sizeof(res->detail), " [%s]", sr->detail);
	if (!usable)
		append_to(res->detail, sizeof(res->detail), "; row stopped: the monitor "
			  "or a reader is gone");
	return usable;
}

void scenario_run(const struct scenario *sc, enum memory_type memory,
		  const struct collapse_path *path, long timeout_ms, struct result *res)
{
	struct lrun run = {
		.sc = sc, .memory = memory, .path = path, .timeout_ms = timeout_ms, .fd = -1,
		.uffd = -1, .child = { .pid = -1, .command_fd = -1, .reply_fd = -1 },
		.child_uffd = -1, .remote = { .pid = -1, .command_fd = -1, .reply_fd = -1 },
	};
	bool aborted = false, skipped = false;
	int status, told_failure = 0;

	memset(res, 0, sizeof(*res));
	res->scenario = sc->name;
	res->kind = sc->kind;
	res->memory = memory_name(memory);
	res->path = path->name;
	res->control = N_VERDICTS;
	res->hole_kept = res->event = TRI_NULL;
	note("%s/%s/%s: start", sc->name, res->memory, path->name);

	status = setup_file(&run);
	if (!status && needs_uffd(sc))
		status = open_uffd(&run);
	if (status) {
		skipped = status > 0;
		aborted = !skipped;
		format_into(res->detail, sizeof(res->detail), "%s%s", skipped ? "" : "setup: ",
			    run.why);
		goto out;
	}
	format_into(res->detail, sizeof(res->detail), "%s%s%s", run.file_how,
		    sc->features ? ", uffd " : "", sc->features ? cg_uffd_feature_names(sc->features) : "");

	for (const struct step *st = sc->steps; st->op != STEP_END; st++) {
		if (is_check(st)) {
			if (res->n_steps == MAX_STEP_RESULTS) {
				append_to(res->detail, sizeof(res->detail), "; too many checks");
				aborted = true;
				break;
			}
			if (!run_check(&run, st, res, &told_failure)) {
				aborted = true;
				break;
			}
			continue;
		}
		note("  %s %s", op_name(st->op), slot_name(st->slot));
		status = act(&run, st);
		if (status == STEP_OK)
			continue;
		skipped = status == STEP_SKIPPED;
		aborted = !skipped;
		append_to(res->detail, sizeof(res->detail), "; %s %s: %s", op_name(st->op),
			  skipped ? "skipped" : "failed", run.why);
		break;
	}
out:
	summarize(&run, res, aborted, skipped);
	note("%s/%s/%s: %s%s%s (%s) %s", sc->name, res->memory, path->name,
	     verdict_name(res->verdict), res->control != N_VERDICTS ? "/" : "",
	     res->control != N_VERDICTS ? verdict_name(res->control) : "", res->info,
	     res->detail);
	teardown(&run);
}
