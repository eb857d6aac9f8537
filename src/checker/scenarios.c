#define _GNU_SOURCE
#include "scenarios.h"
#include "remote_armer.h"
#include "steps.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MISSING UFFDIO_REGISTER_MODE_MISSING
#define WP      UFFDIO_REGISTER_MODE_WP
#define MINOR   UFFDIO_REGISTER_MODE_MINOR

#define ARM(slot, mode)         { STEP_ARM, slot, 0, mode, NULL }
#define REGISTER(slot, mode)    { STEP_REGISTER, slot, 0, mode, NULL }
#define UNREGISTER(slot)        { STEP_UNREGISTER, slot, 0, 0, NULL }
#define SPLIT(extents)          { STEP_SPLIT, SLOT_A, extents, 0, NULL }
#define MERGE()                 { STEP_MERGE, SLOT_A, 0, 0, NULL }
#define MREMAP()                { STEP_MREMAP, SLOT_A, 0, 0, NULL }
#define FORK()                  { STEP_FORK, SLOT_A, 0, 0, NULL }
#define CHILD_EXIT()            { STEP_CHILD_EXIT, SLOT_CHILD, 0, 0, NULL }
#define MUNMAP(slot)            { STEP_MUNMAP, slot, 0, 0, NULL }
#define REMOTE_ARM()            { STEP_REMOTE_ARM, SLOT_REMOTE, 0, MISSING, NULL }
#define REMOTE_EXIT()           { STEP_REMOTE_EXIT, SLOT_REMOTE, 0, 0, NULL }
#define SAFE(slot, e, label)    { STEP_SAFE, slot, e, 0, label }
#define CONTROL(e, label)       { STEP_CONTROL, SLOT_A, e, 0, label }
#define PROBE(e, label)         { STEP_PROBE, SLOT_A, e, 0, label }
#define END                     { STEP_END, SLOT_A, 0, 0, NULL }

/*
 * The lifecycle rows (docs/lifecycle.md). Extent e of the file is used by
 * one check only; the armed mappings map the whole file.
 */
static const struct step split_merge[] = {
	ARM(SLOT_A, MISSING),
	SPLIT(2),
	SAFE(SLOT_A, 0, "split, read-only part"),
	SAFE(SLOT_A, 2, "split, read-write part"),
	MERGE(),
	SAFE(SLOT_A, 1, "merged, was read-only"),
	SAFE(SLOT_A, 3, "merged, was read-write"),
	UNREGISTER(SLOT_A),
	CONTROL(4, "unregistered"),
	END
};

static const struct step mremap_event[] = {
	ARM(SLOT_A, MISSING),
	SAFE(SLOT_A, 0, "before the move"),
	MREMAP(),
	SAFE(SLOT_A, 1, "moved, still armed"),
	UNREGISTER(SLOT_A),
	CONTROL(2, "unregistered"),
	END
};

static const struct step mremap_noevent[] = {
	ARM(SLOT_A, MISSING),
	SAFE(SLOT_A, 0, "before the move"),
	MREMAP(),
	CONTROL(1, "moved, uffd dropped"),
	REGISTER(SLOT_A, MISSING),
	SAFE(SLOT_A, 2, "moved mapping re-armed"),
	UNREGISTER(SLOT_A),
	CONTROL(3, "unregistered"),
	END
};

static const struct step fork_noevent[] = {
	ARM(SLOT_A, MISSING),
	FORK(),
	SAFE(SLOT_A, 0, "forked, parent's"),
	CHILD_EXIT(),
	SAFE(SLOT_A, 1, "child exited, parent's"),
	FORK(),
	UNREGISTER(SLOT_A),
	CONTROL(2, "parent unregistered, child lives"),
	CHILD_EXIT(),
	CONTROL(3, "child exited"),
	END
};

static const struct step fork_event_unreg[] = {
	ARM(SLOT_A, MISSING),
	FORK(),
	SAFE(SLOT_A, 0, "forked, parent's"),
	SAFE(SLOT_CHILD, 1, "forked, child's"),
	UNREGISTER(SLOT_A),
	SAFE(SLOT_CHILD, 2, "parent unregistered, child's"),
	UNREGISTER(SLOT_CHILD),
	CONTROL(3, "both unregistered"),
	CHILD_EXIT(),
	CONTROL(4, "child exited"),
	END
};

static const struct step fork_event_exit[] = {
	ARM(SLOT_A, MISSING),
	FORK(),
	SAFE(SLOT_CHILD, 0, "forked, child's"),
	CHILD_EXIT(),
	SAFE(SLOT_A, 1, "armed child exited, parent's"),
	UNREGISTER(SLOT_A),
	CONTROL(2, "parent unregistered"),
	END
};

static const struct step munmap_one[] = {
	ARM(SLOT_A, MISSING),
	ARM(SLOT_B, MISSING),
	SAFE(SLOT_A, 0, "two armed"),
	MUNMAP(SLOT_A),
	SAFE(SLOT_B, 1, "one unmapped, other's"),
	UNREGISTER(SLOT_B),
	CONTROL(2, "other unregistered"),
	END
};

static const struct step child_exit[] = {
	REMOTE_ARM(),
	SAFE(SLOT_REMOTE, 0, "child armed"),
	REMOTE_EXIT(),
	CONTROL(1, "armed child exited"),
	END
};

static const struct step wp_switch[] = {
	ARM(SLOT_A, MISSING | WP),
	SAFE(SLOT_A, 0, "MISSING|WP"),
	UNREGISTER(SLOT_A),
	REGISTER(SLOT_A, WP),
	CONTROL(1, "WP only"),
	REGISTER(SLOT_A, MISSING | WP),
	SAFE(SLOT_A, 2, "MISSING added back"),
	UNREGISTER(SLOT_A),
	CONTROL(3, "unregistered"),
	END
};

static const struct step minor_only[] = {
	ARM(SLOT_A, MINOR),
	CONTROL(0, "MINOR only"),
	END
};

static const struct step wp_only[] = {
	ARM(SLOT_A, WP),
	CONTROL(0, "WP only"),
	END
};

static const struct step tmpfs_other_vma[] = {
	PROBE(0, "nothing armed"),
	ARM(SLOT_A, MISSING),
	SAFE(SLOT_A, 1, "armed, via the other"),
	END
};

#define STEPS(n, file_kind, uffd_features, script) \
	n, 0, 0, CG_FILL_EVEN_PAGES, ARMED_NOWHERE, UFFD_KEPT, VIA_OTHER_MAPPING, \
	file_kind, uffd_features, script

/*
 * Every memfd is filled with CG_FILL_EVEN_PAGES (odd pages stay holes) unless
 * the row says otherwise; the touch test reads page TOUCHED_HOLE_PAGE of the
 * armed extent (of each checked extent in multi-step rows).
 */
const struct scenario scenarios[] = {
	{ "other-vma", KIND_SAFETY,
	  "memfd mapped twice, one mapping armed MISSING, collapse via the other",
	  1, 0, 0, CG_FILL_EVEN_PAGES, ARMED_HERE, UFFD_KEPT, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "same-vma", KIND_SAFETY,
	  "collapse through the armed mapping itself",
	  1, 0, 0, CG_FILL_EVEN_PAGES, ARMED_HERE, UFFD_KEPT, VIA_ARMED_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "other-process", KIND_SAFETY,
	  "armed in a child process (own mm), the parent collapses via its mapping",
	  1, 0, 0, CG_FILL_EVEN_PAGES, ARMED_IN_CHILD, UFFD_KEPT, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "below-armed", KIND_CONTROL,
	  "3-extent file, extent 1 armed, collapse extent 0 via another mapping",
	  3, 1, 0, CG_FILL_EVEN_PAGES, ARMED_HERE, UFFD_KEPT, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "above-armed", KIND_CONTROL,
	  "3-extent file, extent 1 armed, collapse extent 2 via another mapping",
	  3, 1, 2, CG_FILL_EVEN_PAGES, ARMED_HERE, UFFD_KEPT, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "populated-armed", KIND_CONTROL,
	  "fully populated extent (no hole) armed, collapse via the other mapping",
	  1, 0, 0, CG_FILL_ALL_PAGES, ARMED_HERE, UFFD_KEPT, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "after-unregister", KIND_CONTROL,
	  "armed then UFFDIO_UNREGISTER before the collapse",
	  1, 0, 0, CG_FILL_EVEN_PAGES, ARMED_HERE, UFFD_UNREGISTERED, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "after-close", KIND_CONTROL,
	  "armed then the userfaultfd closed before the collapse",
	  1, 0, 0, CG_FILL_EVEN_PAGES, ARMED_HERE, UFFD_CLOSED, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ NO_UFFD_SCENARIO, KIND_CONTROL,
	  "no userfaultfd at all: the path collapses a holey extent",
	  1, 0, 0, CG_FILL_EVEN_PAGES, ARMED_NOWHERE, UFFD_KEPT, VIA_OTHER_MAPPING,
	  FILE_MEMFD, 0, NULL },
	{ "split-merge", KIND_LIFECYCLE,
	  "armed VMA split by mprotect, merged back, unregistered: safe in both parts "
	  "and after the merge, collapses after",
	  STEPS(5, FILE_MEMFD, 0, split_merge) },
	{ "mremap-event", KIND_LIFECYCLE,
	  "armed VMA moved by mremap with EVENT_REMAP: still armed at the new address, "
	  "collapses after unregister",
	  STEPS(3, FILE_MEMFD, UFFD_FEATURE_EVENT_REMAP, mremap_event) },
	{ "mremap-noevent", KIND_LIFECYCLE,
	  "armed VMA moved by mremap without EVENT_REMAP: the move drops the uffd, "
	  "collapses; re-armed: safe again",
	  STEPS(4, FILE_MEMFD, 0, mremap_noevent) },
	{ "fork-noevent", KIND_LIFECYCLE,
	  "fork without EVENT_FORK (child not armed): parent safe, child exit; "
	  "parent unregistered: collapses",
	  STEPS(4, FILE_MEMFD, 0, fork_noevent) },
	{ "fork-event-unreg", KIND_LIFECYCLE,
	  "fork with EVENT_FORK (child armed): both safe; parent unregisters: child "
	  "safe; child unregistered: collapses",
	  STEPS(5, FILE_MEMFD, UFFD_FEATURE_EVENT_FORK, fork_event_unreg) },
	{ "fork-event-exit", KIND_LIFECYCLE,
	  "fork with EVENT_FORK: armed child exits, parent still safe; parent "
	  "unregisters: collapses",
	  STEPS(3, FILE_MEMFD, UFFD_FEATURE_EVENT_FORK, fork_event_exit) },
	{ "munmap-one", KIND_LIFECYCLE,
	  "two armed VMAs of one memfd, one unmapped: still safe; the other "
	  "unregistered: collapses",
	  STEPS(3, FILE_MEMFD, 0, munmap_one) },
	{ "child-exit", KIND_LIFECYCLE,
	  "armed in a child process (own uffd): safe; the child exits: collapses",
	  STEPS(2, FILE_MEMFD, 0, child_exit) },
	{ "wp-switch", KIND_LIFECYCLE,
	  "MISSING|WP safe; re-registered WP only: collapses; MISSING|WP again: safe; "
	  "unregistered: collapses",
	  STEPS(4, FILE_MEMFD, UFFD_FEATURE_WP_HUGETLBFS_SHMEM, wp_switch) },
	{ "minor-only", KIND_CONTROL,
	  "registered MINOR only (MINOR_SHMEM): does not block collapse",
	  STEPS(1, FILE_MEMFD, UFFD_FEATURE_MINOR_SHMEM, minor_only) },
	{ "wp-only", KIND_CONTROL,
	  "registered WP only (WP_HUGETLBFS_SHMEM): does not block collapse",
	  STEPS(1, FILE_MEMFD, UFFD_FEATURE_WP_HUGETLBFS_SHMEM, wp_only) },
	{ "tmpfs-other-vma", KIND_SAFETY,
	  "other-vma on a file of a private tmpfs mount (huge=advise) instead of a memfd",
	  STEPS(2, FILE_TMPFS, 0, tmpfs_other_vma) },
};
const size_t n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct scenario *scenario_find(const char *name)
{
	for (size_t i = 0; i < n_scenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

/* Everything one run owns; teardown releases whatever got set up. */
struct run {
	const struct scenario *sc;
	long timeout_ms;
	int memfd;
	size_t file_size;
	char *other_map;	/* whole file, never armed */
	char *armed_map;	/* exactly the armed extent */
	bool armed_map_busy;	/* a stuck toucher still reads it: never unmap */
	int uffd;
	struct remote_armer child;
	char why[192];
};

static void set_outcome(struct result *res, enum verdict verdict, const char *why)
{
	res->verdict = verdict;
	if (why)
		format_into(res->detail, sizeof(res->detail), "%s", why);
}

static int setup_file(struct run *run)
{
	const struct scenario *sc = run->sc;
	long holes;

	run->file_size = sc->n_extents * CG_EXTENT_SIZE;
	run->memfd = memfd_make(run->file_size, run->why, sizeof(run->why));
	if (run->memfd < 0)
		return -1;
	if (memfd_fill(run->memfd, run->file_size, sc->pattern, run->why, sizeof(run->why)))
		return -1;
	for (unsigned e = 0; e < sc->n_extents; e++) {
		holes = cg_count_holes(run->memfd, (off_t)(e * CG_EXTENT_SIZE), CG_EXTENT_SIZE);
		if (holes != cg_fill_holes(sc->pattern)) {
			format_into(run->why, sizeof(run->why),
				    "setup: extent %u has %ld holes after filling, expected %ld",
				    e, holes, cg_fill_holes(sc->pattern));
			return -1;
		}
	}
	return 0;
}

static off_t armed_offset(const struct scenario *sc)
{
	return (off_t)(sc->armed_extent * CG_EXTENT_SIZE);
}

/* 0 = armed, 1 = no userfaultfd (SKIP), -1 = broken (ERROR). */
static int arm(struct run *run)
{
	const struct scenario *sc = run->sc;

	if (sc->armer == ARMED_NOWHERE)
		return 0;
	if (sc->armer == ARMED_IN_CHILD) {
		switch (remote_arm(&run->child, run->memfd, armed_offset(sc), CG_EXTENT_SIZE,
				   TOUCHED_HOLE_PAGE * page_size, run->timeout_ms,
				   run->why, sizeof(run->why))) {
		case REMOTE_ARMED:	return 0;
		case REMOTE_NO_UFFD:	return 1;
		case REMOTE_FAILED:	return -1;
		}
		return -1;
	}

	run->armed_map = map_extents_aligned(run->memfd, armed_offset(sc), CG_EXTENT_SIZE);
	if (run->armed_map == MAP_FAILED) {
		run->armed_map = NULL;
		format_into(run->why, sizeof(run->why), "mmap armed: %s", errno_name(errno));
		return -1;
	}
	run->uffd = uffd_open(run->why, sizeof(run->why));
	if (run->uffd < 0)
		return 1;
	if (uffd_register_missing(run->uffd, run->armed_map, CG_EXTENT_SIZE,
				  run->why, sizeof(run->why)))
		return -1;

	if (sc->fate == UFFD_UNREGISTERED &&
	    uffd_unregister(run->uffd, run->armed_map, CG_EXTENT_SIZE, run->why, sizeof(run->why)))
		return -1;
	if (sc->fate == UFFD_CLOSED) {
		close(run->uffd);
		run->uffd = -1;
	}
	return 0;
}

static int map_other(struct run *run)
{
	const struct scenario *sc = run->sc;

	if (sc->via == VIA_ARMED_MAPPING && sc->pattern != CG_FILL_ALL_PAGES)
		return 0;	/* nothing needs a second mapping */
	run->other_map = map_extents_aligned(run->memfd, 0, run->file_size);
	if (run->other_map == MAP_FAILED) {
		run->other_map = NULL;
		format_into(run->why, sizeof(run->why), "mmap other: %s", errno_name(errno));
		return -1;
	}
	return 0;
}

/* A populated extent that is a THP already would make its control pointless. */
static int check_not_yet_thp(struct run *run)
{
	const struct scenario *sc = run->sc;
	char how[96];

	if (sc->pattern != CG_FILL_ALL_PAGES ||
	    extent_thp_state(run->other_map + sc->target_extent * CG_EXTENT_SIZE, how,
			     sizeof(how)) != THP_YES)
		return 0;
	format_into(run->why, sizeof(run->why), "setup: extent already a THP before collapse (%s)",
		    how);
	return -1;
}

static void teardown(struct run *run)
{
	if (run->child.pid > 0)
		remote_release(&run->child);
	if (run->uffd >= 0)
		close(run->uffd);
	if (run->armed_map && !run->armed_map_busy)
		munmap(run->armed_map, CG_EXTENT_SIZE);
	if (run->other_map)
		munmap(run->other_map, run->file_size);
	if (run->memfd >= 0)
		close(run->memfd);
}

void describe_touch(char *buf, size_t size, const struct touch_result *t)
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

enum verdict safety_verdict(bool hole_kept, const struct touch_result *t)
{
	/* Only a read that completed while the uffd was still open proves no event. */
	if (!hole_kept || (t->toucher_done && !t->timed_out && !t->event))
		return VERDICT_VULNERABLE;
	if (t->event && t->served && t->content == CG_PAGE_SERVED)
		return VERDICT_SAFE;
	return VERDICT_ERROR;
}

static void judge_safety(struct run *run, struct collapse_job *job, struct result *res)
{
	const struct scenario *sc = run->sc;
	off_t hole = armed_offset(sc) + (off_t)(TOUCHED_HOLE_PAGE * page_size);
	bool hole_kept = (cg_page_is_hole(run->memfd, hole) == 1);
	struct touch_result touch;
	char why[160] = "";

	if (job->inconclusive) {
		set_outcome(res, VERDICT_SKIP, job->detail);
		return;
	}
	res->hole_kept = hole_kept ? TRI_TRUE : TRI_FALSE;
	append_to(res->detail, sizeof(res->detail), "; holes %ld of %ld left%s",
		  job->holes_after, cg_fill_holes(sc->pattern),
		  hole_kept ? "" : ", touched hole zero-filled");

	if (sc->armer == ARMED_IN_CHILD) {
		if (!remote_touch(&run->child, run->timeout_ms, &touch, why, sizeof(why))) {
			append_to(res->detail, sizeof(res->detail), "; %s", why);
			res->verdict = VERDICT_ERROR;
			return;
		}
	} else {
		touch_hole(&run->uffd, run->armed_map + TOUCHED_HOLE_PAGE * page_size,
			   run->timeout_ms, &touch);
		run->armed_map_busy = touch.toucher_stuck;
	}
	if (touch.failure[0]) {
		append_to(res->detail, sizeof(res->detail), "; touch test: %s", touch.failure);
		res->verdict = VERDICT_ERROR;
		return;
	}
	res->event = touch.event ? TRI_TRUE : TRI_FALSE;
	describe_touch(res->detail, sizeof(res->detail), &touch);

	res->verdict = safety_verdict(hole_kept, &touch);
	if (!job->madv_called)
		format_into(res->info, sizeof(res->info), "%s, %s",
			    hole_kept ? (touch.event ? "kept" : "no event") : "filled", job->info);
}

static void judge_control(struct run *run, struct collapse_job *job, struct result *res)
{
	const struct scenario *sc = run->sc;

	if (sc->pattern == CG_FILL_EVEN_PAGES) {
		res->hole_kept = job->holes_after > 0 ? TRI_TRUE : TRI_FALSE;
		append_to(res->detail, sizeof(res->detail), "; holes %ld of %ld left",
			  job->holes_after, cg_fill_holes(sc->pattern));
	} else {
		append_to(res->detail, sizeof(res->detail), "; extent %s a PMD THP (%s)",
			  job->thp == THP_YES ? "is" : job->thp == THP_NO ? "is not" :
			  "unknown if", job->thp_how);
	}
	if (job->collapsed)
		res->verdict = VERDICT_COLLAPSED;
	else if (job->inconclusive)
		res->verdict = VERDICT_SKIP;
	else if (sc->pattern == CG_FILL_ALL_PAGES && job->thp == THP_UNKNOWN)
		res->verdict = VERDICT_ERROR;
	else
		res->verdict = VERDICT_REFUSED;
}

void scenario_run(const struct scenario *sc, const struct collapse_path *path,
		  long timeout_ms, struct result *res)
{
	struct run run = { .sc = sc, .timeout_ms = timeout_ms, .memfd = -1, .uffd = -1,
			   .child = { .pid = -1, .command_fd = -1, .reply_fd = -1 } };
	struct collapse_job job = { .memfd = -1 };
	int armed;

	if (sc->steps) {
		steps_run(sc, path, timeout_ms, res);
		return;
	}
	memset(res, 0, sizeof(*res));
	res->scenario = sc->name;
	res->kind = sc->kind;
	res->path = path->name;
	res->control = N_VERDICTS;
	res->hole_kept = res->event = TRI_NULL;
	note("%s/%s: start", sc->name, path->name);

	if (setup_file(&run)) {
		set_outcome(res, VERDICT_ERROR, run.why);
		goto out;
	}
	/* Arm first: khugepaged may act as soon as the range is eligible. */
	armed = arm(&run);
	if (armed) {
		set_outcome(res, armed > 0 ? VERDICT_SKIP : VERDICT_ERROR, run.why);
		goto out;
	}
	if (map_other(&run) || check_not_yet_thp(&run)) {
		set_outcome(res, VERDICT_ERROR, run.why);
		goto out;
	}

	job.memfd = run.memfd;
	job.file_offset = (off_t)(sc->target_extent * CG_EXTENT_SIZE);
	job.addr = sc->via == VIA_ARMED_MAPPING ?
			   run.armed_map : run.other_map + sc->target_extent * CG_EXTENT_SIZE;
	job.reader = run.other_map ? run.other_map + sc->target_extent * CG_EXTENT_SIZE : NULL;
	job.pattern = sc->pattern;
	job.timeout_ms = timeout_ms;
	if (path->prepare && path->prepare(&job, run.why, sizeof(run.why))) {
		set_outcome(res, VERDICT_ERROR, run.why);
		goto out;
	}
	path->trigger(&job);
	path->wait(&job);

	if (job.madv_called)
		format_into(res->madv_errno, sizeof(res->madv_errno), "%s",
			    errno_name(job.madv_errno));
	format_into(res->info, sizeof(res->info), "%s", job.info);
	format_into(res->detail, sizeof(res->detail), "%s", job.detail);
	if (job.holes_after < 0) {
		append_to(res->detail, sizeof(res->detail), "; SEEK_DATA failed: %s",
			  errno_name((int)-job.holes_after));
		res->verdict = VERDICT_ERROR;
		goto out;
	}
	if (sc->kind == KIND_SAFETY)
		judge_safety(&run, &job, res);
	else
		judge_control(&run, &job, res);
out:
	note("%s/%s: %s (%s) %s", sc->name, path->name, verdict_name(res->verdict), res->info,
	     res->detail);
	teardown(&run);
}
