/*
 * Multi-step rows: each step is an action on the armed mappings (register,
 * split, move, fork, unmap, exit...) or a check. A check collapses one fresh
 * extent of the file through a mapping that is never armed:
 *
 *   safety  the hole of an armed mapping in that extent must still be a hole
 *           and a read through that mapping must raise a fault event;
 *   control the extent must collapse (no armed VMA left that maps it).
 *
 * On a kernel that counts the armed VMAs of an inode, a count that drifted
 * low shows as VULNERABLE, a stale VM_UFFD_MISSING as REFUSED; a count that
 * drifted high is only seen by the kernel's own debug checks (CONFIG_DEBUG_VM
 * warnings; see --kmsg).
 */
#define _GNU_SOURCE
#include "steps.h"
#include "forked.h"
#include "remote_armer.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct slot {
	char *base;		/* maps the whole file, or NULL */
	bool busy;		/* a stuck reader still uses it: never unmap */
};

struct lrun {
	const struct scenario *sc;
	const struct collapse_path *path;
	long timeout_ms;
	int fd;
	size_t file_size;
	char file_how[80];
	char *other;		/* the whole file, never armed: collapses go through it */
	struct slot slot[2];	/* SLOT_A, SLOT_B */
	size_t split_len;	/* the read-only part after STEP_SPLIT */
	int uffd;
	struct forked_child child;
	int child_uffd;		/* from UFFD_EVENT_FORK */
	char *child_base;
	struct remote_armer remote;
	char why[256];
};

enum step_status { STEP_OK, STEP_FAILED, STEP_SKIPPED };

static const char *op_name(enum step_op op)
{
	switch (op) {
	case STEP_ARM:		return "arm";
	case STEP_REGISTER:	return "register";
	case STEP_UNREGISTER:	return "unregister";
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
	case STEP_PROBE:	return "probe";
	case STEP_END:		break;
	}
	return "end";
}

static const char *slot_name(enum step_slot slot)
{
	static const char *const names[] = { "A", "B", "child", "remote" };

	return names[slot];
}

static off_t hole_offset(unsigned extent)
{
	return (off_t)(extent * CG_EXTENT_SIZE + TOUCHED_HOLE_PAGE * page_size);
}

static int setup_file(struct lrun *run)
{
	long holes;
	int fd;

	run->file_size = run->sc->n_extents * CG_EXTENT_SIZE;
	if (run->sc->file == FILE_TMPFS) {
		fd = tmpfs_file_make(run->file_size, run->file_how, sizeof(run->file_how),
				     run->why, sizeof(run->why));
		if (fd == -2)
			return 1;
	} else {
		format_into(run->file_how, sizeof(run->file_how), "memfd");
		fd = memfd_make(run->file_size, run->why, sizeof(run->why));
	}
	if (fd < 0)
		return -1;
	run->fd = fd;
	if (memfd_fill(fd, run->file_size, CG_FILL_EVEN_PAGES, run->why, sizeof(run->why)))
		return -1;
	for (unsigned e = 0; e < run->sc->n_extents; e++) {
		holes = cg_count_holes(fd, (off_t)(e * CG_EXTENT_SIZE), CG_EXTENT_SIZE);
		if (holes != cg_fill_holes(CG_FILL_EVEN_PAGES)) {
			format_into(run->why, sizeof(run->why),
				    "setup: extent %u has %ld holes after filling, expected %ld",
				    e, holes, cg_fill_holes(CG_FILL_EVEN_PAGES));
			return -1;
		}
	}
	run->other = map_extents_aligned(fd, 0, run->file_size);
	if (run->other == MAP_FAILED) {
		run->other = NULL;
		format_into(run->why, sizeof(run->why), "mmap other: %s", errno_name(errno));
		return -1;
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
			munmap(run->slot[i].base, run->file_size);
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
	char *to = reserve_aligned(run->file_size), *moved;
	int err;

	if (to == MAP_FAILED)
		return fail(run, "reserve mremap target: %s", errno_name(errno));
	/* mremap blocks until the monitor has read UFFD_EVENT_REMAP. */
	if (want_event && uffd_event_wait_start(&waiter, run->uffd, UFFD_EVENT_REMAP,
						run->timeout_ms)) {
		munmap(to, run->file_size);
		return fail(run, "pthread_create%s", "");
	}
	moved = mremap(slot->base, run->file_size, run->file_size,
		       MREMAP_MAYMOVE | MREMAP_FIXED, to);
	err = errno;
	if (want_event && !uffd_event_wait_finish(&waiter) && moved != MAP_FAILED) {
		slot->base = moved;
		format_into(run->why, sizeof(run->why), "no UFFD_EVENT_REMAP read (%s)",
			    errno_name(waiter.error));
		return STEP_FAILED;
	}
	if (moved == MAP_FAILED) {
		munmap(to, run->file_size);
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
		run->child_base = run->slot[SLOT_A].base;
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
		slot->base = map_extents_aligned(run->fd, 0, run->file_size);
		if (slot->base == MAP_FAILED) {
			slot->base = NULL;
			return fail(run, "mmap armed: %s", errno_name(errno));
		}
		/* fall through */
	case STEP_REGISTER:
		if (uffd_register_mode(run->uffd, slot->base, run->file_size, st->mode,
				       run->why, sizeof(run->why)))
			return STEP_FAILED;
		return STEP_OK;
	case STEP_UNREGISTER:
		if (st->slot == SLOT_CHILD) {
			if (run->child_uffd < 0)
				return fail(run, "no uffd of the child%s", "");
			return uffd_unregister(run->child_uffd, run->child_base, run->file_size,
					       run->why, sizeof(run->why)) ? STEP_FAILED : STEP_OK;
		}
		return uffd_unregister(run->uffd, slot->base, run->file_size, run->why,
				       sizeof(run->why)) ? STEP_FAILED : STEP_OK;
	case STEP_SPLIT:
	case STEP_MERGE:
		part = st->op == STEP_SPLIT ? st->extent * CG_EXTENT_SIZE : run->split_len;
		if (st->op == STEP_SPLIT)
			run->split_len = part;
		if (mprotect(slot->base, part,
			     st->op == STEP_SPLIT ? PROT_READ : PROT_READ | PROT_WRITE))
			return fail(run, "mprotect: %s", errno_name(errno));
		n = count_vmas(slot->base, run->file_size);
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
		if (munmap(slot->base, run->file_size))
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
	case STEP_PROBE:
	case STEP_END:
		break;
	}
	return fail(run, "step %s is no action", op_name(st->op));
}

/* ---- checks ---- */

static int collapse_extent(struct lrun *run, unsigned extent, struct collapse_job *job,
			   struct step_result *sr)
{
	memset(job, 0, sizeof(*job));
	job->memfd = run->fd;
	job->file_offset = (off_t)(extent * CG_EXTENT_SIZE);
	job->addr = run->other + extent * CG_EXTENT_SIZE;
	job->reader = job->addr;
	job->pattern = CG_FILL_EVEN_PAGES;
	job->timeout_ms = run->timeout_ms;
	if (run->path->prepare && run->path->prepare(job, sr->detail, sizeof(sr->detail))) {
		sr->verdict = VERDICT_ERROR;
		return -1;
	}
	run->path->trigger(job);
	run->path->wait(job);
	if (job->madv_called)
		format_into(sr->madv_errno, sizeof(sr->madv_errno), "%s",
			    errno_name(job->madv_errno));
	format_into(sr->detail, sizeof(sr->detail), "%s", job->detail);
	if (job->holes_after < 0) {
		append_to(sr->detail, sizeof(sr->detail), "; SEEK_DATA failed: %s",
			  errno_name((int)-job->holes_after));
		sr->verdict = VERDICT_ERROR;
		return -1;
	}
	append_to(sr->detail, sizeof(sr->detail), "; holes %ld of %ld left", job->holes_after,
		  cg_fill_holes(CG_FILL_EVEN_PAGES));
	return 0;
}

static void check_control(struct lrun *run, const struct step *st, struct step_result *sr)
{
	struct collapse_job job;

	if (collapse_extent(run, st->extent, &job, sr))
		return;
	sr->hole_kept = job.holes_after > 0 ? TRI_TRUE : TRI_FALSE;
	sr->verdict = job.collapsed ? VERDICT_COLLAPSED :
		      job.inconclusive ? VERDICT_SKIP : VERDICT_REFUSED;
}

/* Returns false when the mappings are no longer usable (a reader is stuck). */
static bool check_safe(struct lrun *run, const struct step *st, struct step_result *sr)
{
	struct collapse_job job;
	struct touch_result touch;
	off_t hole = hole_offset(st->extent);
	bool hole_kept;
	char why[160] = "";

	if (collapse_extent(run, st->extent, &job, sr))
		return true;
	if (job.inconclusive) {
		sr->verdict = VERDICT_SKIP;
		return true;
	}
	hole_kept = (cg_page_is_hole(run->fd, hole) == 1);
	sr->hole_kept = hole_kept ? TRI_TRUE : TRI_FALSE;
	if (!hole_kept)
		append_to(sr->detail, sizeof(sr->detail), ", touched hole zero-filled");

	switch (st->slot) {
	case SLOT_A:
	case SLOT_B:
		if (run->uffd < 0 || !run->slot[st->slot].base) {
			append_to(sr->detail, sizeof(sr->detail), "; slot %s not armed",
				  slot_name(st->slot));
			sr->verdict = VERDICT_ERROR;
			return true;
		}
		touch_hole(&run->uffd, run->slot[st->slot].base + hole, run->timeout_ms, &touch);
		run->slot[st->slot].busy |= touch.toucher_stuck;
		break;
	case SLOT_CHILD:
		if (run->child.pid <= 0 || run->child_uffd < 0) {
			append_to(sr->detail, sizeof(sr->detail), "; no armed child");
			sr->verdict = VERDICT_ERROR;
			return true;
		}
		run->child.touch_page = run->child_base + hole;
		touch_hole_remote(&run->child_uffd, run->child.touch_page, forked_start_touch,
				  &run->child, run->child.reply_fd, run->timeout_ms, &touch);
		break;
	case SLOT_REMOTE:
		if (run->remote.pid <= 0 ||
		    !remote_touch_at(&run->remote, (size_t)hole, run->timeout_ms, &touch, why,
				     sizeof(why))) {
			append_to(sr->detail, sizeof(sr->detail), "; %s",
				  why[0] ? why : "no armed child");
			sr->verdict = VERDICT_ERROR;
			return false;
		}
		break;
	}
	if (touch.failure[0]) {
		append_to(sr->detail, sizeof(sr->detail), "; touch test: %s", touch.failure);
		sr->verdict = VERDICT_ERROR;
		return !touch.toucher_stuck;
	}
	sr->event = touch.event ? TRI_TRUE : TRI_FALSE;
	describe_touch(sr->detail, sizeof(sr->detail), &touch);
	sr->verdict = safety_verdict(hole_kept, &touch);
	/* A closed uffd (timeout) leaves the rest of the row without its monitor. */
	return !touch.toucher_stuck && !touch.timed_out;
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

static void summarize(struct lrun *run, struct result *res, bool aborted, bool skipped)
{
	enum verdict safety = N_VERDICTS, control = N_VERDICTS;
	bool any_safety = false;

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

void steps_run(const struct scenario *sc, const struct collapse_path *path, long timeout_ms,
	       struct result *res)
{
	struct lrun run = {
		.sc = sc, .path = path, .timeout_ms = timeout_ms, .fd = -1, .uffd = -1,
		.child = { .pid = -1, .command_fd = -1, .reply_fd = -1 }, .child_uffd = -1,
		.remote = { .pid = -1, .command_fd = -1, .reply_fd = -1 },
	};
	bool aborted = false, skipped = false;
	int status, told_failure = 0;

	memset(res, 0, sizeof(*res));
	res->scenario = sc->name;
	res->kind = sc->kind;
	res->path = path->name;
	res->control = N_VERDICTS;
	res->hole_kept = res->event = TRI_NULL;
	note("%s/%s: start", sc->name, path->name);

	status = setup_file(&run);
	if (!status && needs_uffd(sc)) {
		run.uffd = uffd_open_features(sc->features, run.why, sizeof(run.why));
		status = run.uffd == -2 ? 1 : run.uffd < 0 ? -1 : 0;
	}
	if (status) {
		skipped = status > 0;
		aborted = !skipped;
		format_into(res->detail, sizeof(res->detail), "%s%s", skipped ? "" : "setup: ",
			    run.why);
		goto out;
	}
	format_into(res->detail, sizeof(res->detail), "%s%s%s", run.file_how,
		    sc->features ? ", uffd " : "",
		    sc->features ? cg_uffd_feature_names(sc->features) : "");

	for (const struct step *st = sc->steps; st->op != STEP_END; st++) {
		struct step_result *sr;
		bool usable = true;

		if (st->op != STEP_SAFE && st->op != STEP_CONTROL && st->op != STEP_PROBE) {
			note("  %s %s", op_name(st->op), slot_name(st->slot));
			status = act(&run, st);
			if (status == STEP_OK)
				continue;
			skipped = status == STEP_SKIPPED;
			aborted = !skipped;
			append_to(res->detail, sizeof(res->detail), "; %s %s: %s",
				  op_name(st->op), skipped ? "skipped" : "failed", run.why);
			break;
		}
		if (res->n_steps == MAX_STEP_RESULTS) {
			append_to(res->detail, sizeof(res->detail), "; too many checks");
			aborted = true;
			break;
		}
		sr = &res->steps[res->n_steps++];
		format_into(sr->label, sizeof(sr->label), "%s", st->label);
		sr->kind = st->op == STEP_SAFE ? KIND_SAFETY : KIND_CONTROL;
		sr->extent = st->extent;
		sr->hole_kept = sr->event = TRI_NULL;
		if (st->op == STEP_SAFE)
			usable = check_safe(&run, st, sr);
		else
			check_control(&run, st, sr);
		note("  %s e%u %s: %s (%s) %s", op_name(st->op), st->extent, st->label,
		     verdict_name(sr->verdict), sr->madv_errno, sr->detail);
		append_to(res->detail, sizeof(res->detail), "; e%u %s: %s%s%s", st->extent,
			  st->label, verdict_name(sr->verdict), sr->madv_errno[0] ? " " : "",
			  sr->madv_errno);
		/* The first failure is told in full; "steps" has every detail. */
		if (!step_ok(sr) && !told_failure++)
			append_to(res->detail, sizeof(res->detail), " [%s]", sr->detail);
		if (st->op == STEP_PROBE && !step_ok(sr)) {
			/* The path does not collapse this file at all: nothing to judge. */
			skipped = sr->verdict != VERDICT_ERROR;
			aborted = !skipped;
			break;
		}
		if (!usable) {
			aborted = true;
			append_to(res->detail, sizeof(res->detail), "; row stopped: the monitor "
				  "or a reader is gone");
			break;
		}
	}
out:
	summarize(&run, res, aborted, skipped);
	note("%s/%s: %s%s%s (%s) %s", sc->name, path->name, verdict_name(res->verdict),
	     res->control != N_VERDICTS ? "/" : "",
	     res->control != N_VERDICTS ? verdict_name(res->control) : "", res->info,
	     res->detail);
	teardown(&run);
}
