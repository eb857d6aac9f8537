/*
 * The checks of a script. Each collapses one extent of the file, through a
 * mapping that is never armed unless the step says via_armed:
 *
 *   safety  the hole of an armed mapping in that extent must still be a hole
 *           and a read through that mapping must raise a fault event;
 *   control the extent must collapse.
 *
 * On a kernel that counts the armed VMAs of an inode, a count that drifted
 * low shows as VULNERABLE, a stale VM_UFFD_MISSING as REFUSED; a count that
 * drifted high is only seen by the kernel's own debug checks (CONFIG_DEBUG_VM
 * warnings; see --kmsg).
 */
#define _GNU_SOURCE
#include "run.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

char *slot_address(const struct slot *slot, off_t offset)
{
	if (!slot->base || offset < slot->offset || offset >= slot->offset + (off_t)slot->len)
		return NULL;
	return slot->base + (offset - slot->offset);
}

static off_t extent_offset(unsigned extent)
{
	return (off_t)(extent * CG_EXTENT_SIZE);
}

/* The collapses go through `other`, mapped at the first check: armed mappings come first. */
static char *other_mapping(struct lrun *run)
{
	if (!run->other) {
		run->other = map_extents_aligned(run->fd, 0, run->file_size);
		if (run->other == MAP_FAILED) {
			run->other = NULL;
			format_into(run->why, sizeof(run->why), "mmap other: %s",
				    errno_name(errno));
		}
	}
	return run->other;
}

static int check_error(struct step_result *sr, const char *why)
{
	format_into(sr->detail, sizeof(sr->detail), "%s", why);
	sr->verdict = VERDICT_ERROR;
	return -1;
}

/* The inputs of the collapse of the step's extent; -1 with sr ERROR. */
static int collapse_job_for(struct lrun *run, const struct step *st, struct collapse_job *job,
			    struct step_result *sr)
{
	off_t start = extent_offset(st->extent);
	bool needs_other = !st->via_armed || run->sc->pattern == CG_FILL_ALL_PAGES;

	memset(job, 0, sizeof(*job));
	job->memfd = run->fd;
	job->file_offset = start;
	job->pattern = run->sc->pattern;
	job->timeout_ms = run->timeout_ms;
	if (needs_other && !other_mapping(run))
		return check_error(sr, run->why);
	job->reader = run->other ? run->other + start : NULL;
	if (!st->via_armed) {
		job->addr = run->other + start;
		return 0;
	}
	job->addr = st->slot <= SLOT_B ? slot_address(&run->slot[st->slot], start) : NULL;
	if (!job->addr)
		return check_error(sr, "the armed slot does not map the extent");
	return 0;
}

/* A populated extent that is a THP already would make its control pointless. */
static int check_not_yet_thp(const struct collapse_job *job, struct step_result *sr)
{
	char how[96], why[160];

	if (job->pattern != CG_FILL_ALL_PAGES ||
	    extent_thp_state(job->reader, how, sizeof(how)) != THP_YES)
		return 0;
	format_into(why, sizeof(why), "setup: extent already a THP before collapse (%s)", how);
	return check_error(sr, why);
}

static int collapse_extent(struct lrun *run, const struct step *st, struct collapse_job *job,
			   struct step_result *sr)
{
	if (collapse_job_for(run, st, job, sr) || check_not_yet_thp(job, sr))
		return -1;
	if (run->path->prepare && run->path->prepare(job, sr->detail, sizeof(sr->detail))) {
		sr->verdict = VERDICT_ERROR;
		return -1;
	}
	run->path->trigger(job);
	run->path->wait(job);
	if (job->madv_called)
		format_into(sr->madv_errno, sizeof(sr->madv_errno), "%s",
			    errno_name(job->madv_errno));
	format_into(sr->info, sizeof(sr->info), "%s", job->info);
	format_into(sr->detail, sizeof(sr->detail), "%s", job->detail);
	if (job->holes_after < 0) {
		append_to(sr->detail, sizeof(sr->detail), "; SEEK_DATA failed: %s",
			  errno_name((int)-job->holes_after));
		sr->verdict = VERDICT_ERROR;
		return -1;
	}
	return 0;
}

void check_control(struct lrun *run, const struct step *st, struct step_result *sr)
{
	struct collapse_job job;

	if (collapse_extent(run, st, &job, sr))
		return;
	if (job.pattern == CG_FILL_EVEN_PAGES) {
		sr->hole_kept = job.holes_after > 0 ? TRI_TRUE : TRI_FALSE;
		append_to(sr->detail, sizeof(sr->detail), "; holes %ld of %ld left",
			  job.holes_after, cg_fill_holes(job.pattern));
	} else {
		append_to(sr->detail, sizeof(sr->detail), "; extent %s a PMD THP (%s)",
			  job.thp == THP_YES ? "is" : job.thp == THP_NO ? "is not" :
			  "unknown if", job.thp_how);
	}
	if (job.collapsed)
		sr->verdict = VERDICT_COLLAPSED;
	else if (job.inconclusive)
		sr->verdict = VERDICT_SKIP;
	else if (job.pattern == CG_FILL_ALL_PAGES && job.thp == THP_UNKNOWN)
		sr->verdict = VERDICT_ERROR;
	else
		sr->verdict = VERDICT_REFUSED;
}

static void describe_touch(char *buf, size_t size, const struct touch_result *t)
{
	if (t->event)
		append_to(buf, size, "; fault event at +0x%lx %s", t->fault_offset,
			  t->served ? "served" : "NOT served");
	else
		append_to(buf, size, "; no fault event");
	if (t->copy_errno)
		append_to(buf, size, " (UFFDIO_COPY %s)", errno_name(t->copy_errno));
	if (t->timed_out)
		append_to(buf, size, ", touch timed out, uffd closed");
	if (t->toucher_stuck)
		append_to(buf, size, ", toucher still blocked");
	else
		append_to(buf, size, ", toucher read %s", cg_page_content_name(t->content));
}

/* Verdict of a safety check from the hole and the touch test. */
static enum verdict safety_verdict(bool hole_kept, const struct touch_result *t)
{
	/* Only a read that completed while the uffd was still open proves no event. */
	if (!hole_kept || (t->toucher_done && !t->timed_out && !t->event))
		return VERDICT_VULNERABLE;
	if (t->event && t->served && t->content == CG_PAGE_SERVED)
		return VERDICT_SAFE;
	return VERDICT_ERROR;
}

/* The touch test through the step's armed slot; false when the row cannot go on. */
static bool touch_armed_hole(struct lrun *run, const struct step *st, off_t hole,
			     struct touch_result *touch, struct step_result *sr)
{
	struct slot *slot;
	char why[160] = "";

	switch (st->slot) {
	case SLOT_A:
	case SLOT_B:
		slot = &run->slot[st->slot];
		if (run->uffd < 0 || !slot_address(slot, hole)) {
			append_to(sr->detail, sizeof(sr->detail), "; slot %s not armed there",
				  st->slot == SLOT_A ? "A" : "B");
			sr->verdict = VERDICT_ERROR;
			return false;
		}
		touch_hole(&run->uffd, slot_address(slot, hole), run->timeout_ms, touch);
		slot->busy |= touch->toucher_stuck;
		return true;
	case SLOT_CHILD:
		run->child.touch_page = slot_address(&run->child_map, hole);
		if (run->child.pid <= 0 || run->child_uffd < 0 || !run->child.touch_page) {
			append_to(sr->detail, sizeof(sr->detail), "; no armed child");
			sr->verdict = VERDICT_ERROR;
			return false;
		}
		touch_hole_remote(&run->child_uffd, run->child.touch_page, forked_start_touch,
				  &run->child, run->child.reply_fd, run->timeout_ms, touch);
		return true;
	case SLOT_REMOTE:
		if (run->remote.pid > 0 &&
		    remote_touch_at(&run->remote, (size_t)hole, run->timeout_ms, touch, why,
				    sizeof(why)))
			return true;
		append_to(sr->detail, sizeof(sr->detail), "; %s", why[0] ? why : "no armed child");
		sr->verdict = VERDICT_ERROR;
		return false;
	}
	return false;
}

bool check_safe(struct lrun *run, const struct step *st, struct step_result *sr)
{
	struct collapse_job job;
	struct touch_result touch;
	off_t hole = extent_offset(st->extent) + (off_t)(TOUCHED_HOLE_PAGE * page_size);
	bool hole_kept;

	if (collapse_extent(run, st, &job, sr))
		return true;
	if (job.inconclusive) {
		sr->verdict = VERDICT_SKIP;
		return true;
	}
	hole_kept = cg_page_is_hole(run->fd, hole) == 1;
	sr->hole_kept = hole_kept ? TRI_TRUE : TRI_FALSE;
	append_to(sr->detail, sizeof(sr->detail), "; holes %ld of %ld left%s", job.holes_after,
		  cg_fill_holes(job.pattern), hole_kept ? "" : ", touched hole zero-filled");
	if (!touch_armed_hole(run, st, hole, &touch, sr))
		/* A slot that is not armed is a broken script; a lost remote child ends the row. */
		return st->slot != SLOT_REMOTE;
	if (touch.failure[0]) {
		append_to(sr->detail, sizeof(sr->detail), "; touch test: %s", touch.failure);
		sr->verdict = VERDICT_ERROR;
		return !touch.toucher_stuck;
	}
	sr->event = touch.event ? TRI_TRUE : TRI_FALSE;
	describe_touch(sr->detail, sizeof(sr->detail), &touch);
	sr->verdict = safety_verdict(hole_kept, &touch);
	if (!job.madv_called)
		format_into(sr->info, sizeof(sr->info), "%s, %s",
			    hole_kept ? (touch.event ? "kept" : "no event") : "filled", job.info);
	/* A closed uffd (timeout) leaves the rest of the row without its monitor. */
	return !touch.toucher_stuck && !touch.timed_out;
}
