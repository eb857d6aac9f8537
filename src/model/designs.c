/*
 * The designs under test, each a table of hooks called by the actors in
 * state.c.  The actors set the VMA flags, link/unlink VMAs and move the
 * page cache; a design only adds what its kernel code adds at those points.
 *
 *   1  no guard: Linux 6.1 as it is
 *   2  seed v1: flag of the scanned VMA, re-take mmap_lock and look again
 *   3  review's variant: flag read once under mmap_lock, passed down
 *   4  seed's proposal: per-inode counter, whole inode, commit iff zero
 *   5  ours, v1: count of VM_UFFD_MISSING VMAs + walk of the extent's
 *      holes, with 6.1's walk that fills the holes early
 *   6  upstream (>= 6.4): holes empty, placeholders, then walk
 *      [start, start + NR]
 *   7  ours, v2 (issue 10): holes empty, the data copied privately; hole
 *      recheck, the count + hole walk and the store in one step
 *   8  v2 without the count: upstream's placeholders with v2's precise walk
 *
 * plus a variant of design 5 (i_mmap_rwsem dropped before the commit) and
 * ablations of designs 5, 7 and 8 that must fail (so that a design passing
 * is not a property of the scenarios).
 */
#include <stdio.h>
#include <string.h>

#include "model.h"

#define BIT(i) (1u << (i))

static uint8_t extent_holes_now(const struct model *m, const struct state *s)
{
	uint8_t h = 0;

	for (int i = m->sc->start; i < m->sc->start + m->sc->len; i++)
		if (s->pk[i] == PK_HOLE)
			h |= BIT(i);
	return h;
}

/* Is there a linked VMA with VM_UFFD_MISSING over [first..last] that maps
 * one of @holes (holes == ~0u: any index)?  vma_interval_tree_foreach(). */
static bool armed_vma_over(const struct model *m, const struct state *s,
			   unsigned holes, int first, int last, char *why,
			   size_t n)
{
	const struct scenario *sc = m->sc;

	for (int v = 0; v < sc->nvma; v++) {
		if (!s->linked[v] || sc->vma[v].last < first ||
		    sc->vma[v].first > last)
			continue; /* not in vma_interval_tree_foreach() */
		if (!s->armed[v])
			continue;
		for (int i = first; i <= last; i++) {
			if (vma_maps(sc, v, i) && (holes & BIT(i))) {
				snprintf(why, n,
					 "vma %s [%d..%d] has VM_UFFD_MISSING and "
					 "maps %s %d",
					 sc->vma[v].name, sc->vma[v].first,
					 sc->vma[v].last,
					 holes == ~0u ? "index" : "hole", i);
				return true;
			}
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* 1. No guard.                                                        */

static const struct design d1 = {
	.id = "1",
	.name = "no guard (6.1)",
	.fill_holes_early = true,
	.guard_locks = "xas_lock_irq",
};

/* ------------------------------------------------------------------ */
/* 2./3. The scanned VMA's flag.                                       */

/* khugepaged_scan_mm_slot(), mmap_lock held: uffd_was_armed */
static void flag_on_scan(const struct model *m, struct state *s)
{
	(void)m;
	s->c_flag = s->armed[s->c_vma];
}

/* hpage_collapse_scan_file(): no collapse if it would fill a hole */
static bool flag_early(const struct model *m, const struct state *s,
		       char *why, size_t n)
{
	if (s->c_flag && extent_holes_now(m, s)) {
		snprintf(why, n, "scanned vma was armed and the extent has holes");
		return true;
	}
	snprintf(why, n, "scanned vma %s", s->c_flag ? "armed, no hole"
						     : "was not armed");
	return false;
}

/* Seed v1: collapse_file() re-takes mmap_read_lock(mm) before its walk and
 * keeps it to the commit (state.c, mmap_over_fill), then looks at the VMA
 * again.  Modelled generously: the VMA is found again (revalidated) rather
 * than dereferenced after it may have been freed. */
static bool d2_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	int v = s->c_vma;

	if (!s->linked[v]) {
		snprintf(why, n, "scanned vma %s is gone", m->sc->vma[v].name);
		return true;
	}
	if (s->c_holes && s->armed[v]) {
		snprintf(why, n, "scanned vma %s is armed and a hole was filled",
			 m->sc->vma[v].name);
		return true;
	}
	snprintf(why, n, "scanned vma %s %s", m->sc->vma[v].name,
		 s->armed[v] ? "armed, no hole filled" : "not armed");
	return false;
}

static const struct design d2 = {
	.id = "2",
	.name = "seed v1: re-take mmap_lock",
	.fill_holes_early = true,
	.mmap_over_fill = true,
	.guard_locks = "mmap_read_lock(scanned mm) + xas_lock_irq",
	.on_scan = flag_on_scan,
	.early_fail = flag_early,
	.pre_commit_refuse = d2_guard,
};

/* Review's variant: the flag read under mmap_lock is passed down. */
static bool d3_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	(void)m;
	if (s->c_holes && s->c_flag) {
		snprintf(why, n, "uffd_was_armed and a hole was filled");
		return true;
	}
	snprintf(why, n, "uffd_was_armed = %d", s->c_flag);
	return false;
}

static const struct design d3 = {
	.id = "3",
	.name = "review: flag passed down",
	.fill_holes_early = true,
	.guard_locks = "xas_lock_irq",
	.on_scan = flag_on_scan,
	.early_fail = flag_early,
	.pre_commit_refuse = d3_guard,
};

/* ------------------------------------------------------------------ */
/* Counting, shared by designs 4 and 5.                                */

/*
 * fs/userfaultfd.c userfaultfd_set_vm_flags(): when a shmem VMA gains or
 * loses VM_UFFD_MISSING, the flag and shmem_uffd_missing_add() change in
 * one i_mmap_lock_write() section.  (The actor set the flag in the same
 * atomic step: state.c reg_step().)
 */
static void count_register(const struct model *m, struct state *s, int v)
{
	(void)m;
	(void)v;
	s->count++;
}

static void count_unregister(const struct model *m, struct state *s, int v)
{
	(void)m;
	(void)v;
	s->count--;
}

/*
 * mm/mmap.c __vma_link_file() and mmap_region(), kernel/fork.c dup_mmap()
 * (vma_interval_tree_insert_after() under i_mmap_lock_write):
 * shmem_uffd_vma_linked() counts the VMA if it has VM_UFFD_MISSING.
 */
static void count_link(const struct model *m, struct state *s, int v,
		       enum lwhy why)
{
	(void)m;
	(void)why;
	if (s->armed[v])
		s->count++;
}

/* mm/mmap.c __remove_shared_vm_struct() (munmap, exit):
 * shmem_uffd_vma_unlinked(). */
static void count_unlink(const struct model *m, struct state *s, int v,
			 enum lwhy why)
{
	(void)m;
	(void)why;
	if (s->armed[v])
		s->count--;
}

/* The count equals the VMAs in i_mmap with VM_UFFD_MISSING (patch 0004's
 * shmem_uffd_missing_verify(), checked here after every step). */
static bool count_exact(const struct model *m, const struct state *s)
{
	return s->count == count_armed_linked(m, s);
}

/* ------------------------------------------------------------------ */
/* 4. The seed's per-inode counter, whole inode.                       */

static bool d4_early(const struct model *m, const struct state *s, char *why,
		     size_t n)
{
	(void)m;
	snprintf(why, n, "counter %d", s->count);
	return s->count != 0;
}

/* Counter kept static by the lock its writers take (modelled as
 * i_mmap_rwsem); commit only if it is zero, holes or not. */
static bool d4_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	(void)m;
	snprintf(why, n, "counter %d", s->count);
	return s->count != 0;
}

static const struct design d4 = {
	.id = "4",
	.name = "seed: inode counter == 0",
	.fill_holes_early = true,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.early_fail = d4_early,
	.pre_commit_refuse = d4_guard,
	.on_register = count_register,
	.on_unregister = count_unregister,
	.on_vma_link = count_link,
	.on_vma_unlink = count_unlink,
	.invariant = count_exact,
};

/* ------------------------------------------------------------------ */
/* 5. Ours: count + walk of the extent's filled holes.                 */

/*
 * mm/khugepaged.c hpage_collapse_scan_file() ->
 * scan_found_uffd_missing_hole() (patch 0003): count read without a lock;
 * if non-zero, uffd_missing_maps_hole() under i_mmap_lock_read over the
 * holes the scan found.  Fail fast only.
 */
static bool d5_early(const struct model *m, const struct state *s, char *why,
		     size_t n)
{
	uint8_t holes = extent_holes_now(m, s);
	int first = m->sc->start, last = m->sc->start + m->sc->len - 1;

	if (!holes || !s->count) {
		snprintf(why, n, "%s", !holes ? "no hole" : "count 0");
		return false;
	}
	if (armed_vma_over(m, s, holes, first, last, why, n))
		return true;
	snprintf(why, n, "count %d, no armed vma over a hole", s->count);
	return false;
}

/*
 * mm/khugepaged.c collapse_file() (patch 0002), after the walk:
 *   if (nr_none) {
 *     xas_unlock_irq(); i_mmap_lock_read(mapping);
 *     if (uffd_missing_maps_hole(mapping, start, cc->holes))
 *       refuse: goto xa_unlocked (i_mmap_unlock_read, rollback);
 *     xas_lock_irq();
 *   }
 *   ... join store (xas_set_order + xas_store) ...
 *   xa_locked: xas_unlock_irq(); xa_unlocked: i_mmap_unlock_read(mapping);
 * The check runs with the i_pages lock dropped (every entry of the extent
 * holds the locked huge page, so nothing can change it); i_mmap_rwsem is
 * held from the check to the join store (commit_hold = HOLD_IMMAP), and
 * every registrar and every VMA link/unlink takes it for write.
 * uffd_missing_maps_hole(): count first, then vma_interval_tree_foreach()
 * over exactly [start, start + HPAGE_PMD_NR - 1], refuse if a VMA with
 * VM_UFFD_MISSING maps an index recorded in cc->holes.
 */
static bool count_then_walk(const struct model *m, const struct state *s,
			    int last, const char *holes_are, char *why,
			    size_t n)
{
	int first = m->sc->start;

	if (!s->c_holes) {
		snprintf(why, n, "nr_none == 0, no check");
		return false;
	}
	if (!s->count) {
		snprintf(why, n, "count 0");
		return false;
	}
	if (armed_vma_over(m, s, s->c_holes, first, last, why, n))
		return true;
	snprintf(why, n, "count %d, no armed vma over a %s hole in [%d..%d]",
		 s->count, holes_are, first, last);
	return false;
}

static bool d5_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	return count_then_walk(m, s, m->sc->start + m->sc->len - 1, "filled",
			       why, n);
}

static const struct design d5 = {
	.id = "5",
	.name = "v1: count + hole walk",
	.fill_holes_early = true,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read",
	.commit_hold = HOLD_IMMAP,
	.early_fail = d5_early,
	.pre_commit_refuse = d5_guard,
	.on_register = count_register,
	.on_unregister = count_unregister,
	.on_vma_link = count_link,
	.on_vma_unlink = count_unlink,
	.invariant = count_exact,
};

/* Variant (not a design of the thread): design 5 with i_mmap_rwsem
 * dropped between the check and the join store. */
static const struct design d5_drop = {
	.id = "5-drop",
	.name = "i_mmap dropped pre-commit",
	.fill_holes_early = true,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read",
	.commit_hold = HOLD_NOTHING,
	.early_fail = d5_early,
	.pre_commit_refuse = d5_guard,
	.on_register = count_register,
	.on_unregister = count_unregister,
	.on_vma_link = count_link,
	.on_vma_unlink = count_unlink,
	.invariant = count_exact,
	.of = "5",
	.variant = true,
};

/* Ablation: patch 0001 without the kernel/fork.c hunk. */
static void count_link_nofork(const struct model *m, struct state *s, int v,
			      enum lwhy why)
{
	if (why != L_FORK)
		count_link(m, s, v, why);
}

static const struct design d5_nofork = {
	.id = "5-nofork",
	.name = "w/o the dup_mmap count",
	.fill_holes_early = true,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read",
	.commit_hold = HOLD_IMMAP,
	.early_fail = d5_early,
	.pre_commit_refuse = d5_guard,
	.on_register = count_register,
	.on_unregister = count_unregister,
	.on_vma_link = count_link_nofork,
	.on_vma_unlink = count_unlink,
	.invariant = count_exact,
	.of = "5",
	.ablation = true,
};

/* Ablation: the guard's walk stops one index short of the extent's end
 * (last = start + HPAGE_PMD_NR - 2). */
static bool d5_guard_short(const struct model *m, struct state *s, char *why,
			   size_t n)
{
	return count_then_walk(m, s, m->sc->start + m->sc->len - 2, "filled",
			       why, n);
}

static const struct design d5_short = {
	.id = "5-short",
	.name = "walk one index short",
	.fill_holes_early = true,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read",
	.commit_hold = HOLD_IMMAP,
	.pre_commit_refuse = d5_guard_short,
	.on_register = count_register,
	.on_unregister = count_unregister,
	.on_vma_link = count_link,
	.on_vma_unlink = count_unlink,
	.invariant = count_exact,
	.of = "5",
	.ablation = true,
};

/* Ablation: patch 0003 (fail fast) without patch 0002 (the guard). */
static const struct design d5_early_only = {
	.id = "5-early",
	.name = "early check only",
	.fill_holes_early = true,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "xas_lock_irq",
	.early_fail = d5_early,
	.on_register = count_register,
	.on_unregister = count_unregister,
	.on_vma_link = count_link,
	.on_vma_unlink = count_unlink,
	.invariant = count_exact,
	.of = "5",
	.ablation = true,
};

/* ------------------------------------------------------------------ */
/* 6. Upstream (Linux >= 6.4).                                         */

/*
 * collapse_file() leaves holes empty during its walk, and the small pages
 * in the page cache, locked ("maintain page cache uptodate flag"); it
 * copies into the huge page and marks it uptodate before the commit.
 * Then, if nr_none: i_mmap_lock_read(); xas_lock_irq(); store
 * XA_RETRY_ENTRY into every empty index, counting them (a mismatch with
 * nr_none: SCAN_PAGE_FILLED; state.c, recheck_holes and retry_entries);
 * vma_interval_tree_foreach(vma, &mapping->i_mmap, start, end) with
 * end = start + HPAGE_PMD_NR, an inclusive bound: refuse if any VMA has
 * VM_UFFD_MISSING; i_mmap_unlock_read(); the i_pages lock is kept until
 * the join store (HOLD_XA).  Registration takes only mmap_lock.
 */
static bool d6_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	const struct scenario *sc = m->sc;
	int first = sc->start, last = sc->start + sc->len; /* sic */

	if (!s->c_holes) {
		snprintf(why, n, "nr_none == 0, no check");
		return false;
	}
	if (armed_vma_over(m, s, ~0u, first, last, why, n)) {
		size_t o = strlen(why);

		snprintf(why + o, n - o, " (walk [%d..%d])", first, last);
		return true;
	}
	snprintf(why, n, "no armed vma over [%d..%d]", first, last);
	return false;
}

static const struct design d6 = {
	.id = "6",
	.name = "upstream: placeholders",
	.publish_uptodate = true,
	.recheck_holes = true,
	.retry_entries = true,
	.commit_hold = HOLD_XA,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.pre_commit_refuse = d6_guard,
};

/* ------------------------------------------------------------------ */
/* 7. Ours, v2: holes stay empty; decide, fill and commit in one step.  */

/*
 * mm/khugepaged.c collapse_file() (the series after issue 10): the walk
 * locks, isolates and unmaps the small pages and leaves them in the page
 * cache; holes stay empty and are recorded in cc->holes.  The data is
 * copied and the holes zeroed into the huge page while nobody else can
 * see it, and it is marked uptodate.  Then one step:
 *   i_mmap_lock_read() (if nr_none); xas_lock_irq();
 *   (a) a recorded hole that is no longer empty: SCAN_PAGE_FILLED
 *       (state.c, recheck_holes);
 *   (b) collapse_fills_uffd_missing_hole(): count, then
 *       uffd_missing_maps_hole() over exactly [start, start + NR - 1] and
 *       the holes: SCAN_UFFD_MISSING;
 *   (c) the join store of the uptodate, locked huge page;
 *   xas_unlock_irq(); i_mmap_unlock_read().
 * Registrations change VM_UFFD_MISSING and the count under
 * i_mmap_lock_write(), so none can fall inside the step.
 */
static bool d7_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	return count_then_walk(m, s, m->sc->start + m->sc->len - 1,
			       "recorded", why, n);
}

/* The per-inode count of design 7 (patch 0001) and its fail-fast check. */
#define V2_COUNT_HOOKS \
	.early_fail = d5_early, .on_register = count_register, \
	.on_unregister = count_unregister, .on_vma_link = count_link, \
	.on_vma_unlink = count_unlink, .invariant = count_exact

static const struct design d7 = {
	.id = "7",
	.name = "v2: decide/fill/commit, 1 step",
	.publish_uptodate = true,
	.recheck_holes = true,
	.commit_hold = HOLD_NONE,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.pre_commit_refuse = d7_guard,
	V2_COUNT_HOOKS,
};

/* Ablation: no recheck of the holes; a hole filled meanwhile is
 * overwritten by the commit. */
static const struct design d7_norecheck = {
	.id = "7-norecheck",
	.name = "w/o the hole recheck",
	.publish_uptodate = true,
	.commit_hold = HOLD_NONE,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.pre_commit_refuse = d7_guard,
	V2_COUNT_HOOKS,
	.of = "7",
	.ablation = true,
};

/* Ablation: i_mmap_rwsem dropped between the decision and the store
 * (which retakes the i_pages lock and rechecks the holes). */
static const struct design d7_split = {
	.id = "7-split",
	.name = "i_mmap dropped pre-store",
	.publish_uptodate = true,
	.recheck_holes = true,
	.commit_hold = HOLD_NOTHING,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.pre_commit_refuse = d7_guard,
	V2_COUNT_HOOKS,
	.of = "7",
	.ablation = true,
};

/* Ablation: registrations take only mmap_lock, so one can set
 * VM_UFFD_MISSING behind the walk of i_mmap and before the store; the
 * i_pages lock does not stop a lockless lookup from seeing the hole. */
static const struct design d7_noreg = {
	.id = "7-noreg",
	.name = "register w/o i_mmap lock",
	.publish_uptodate = true,
	.recheck_holes = true,
	.commit_hold = HOLD_XA,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.pre_commit_refuse = d7_guard,
	V2_COUNT_HOOKS,
	.of = "7",
	.ablation = true,
};

/* Ablation: the commit publishes the huge page before the copy (6.1's
 * order): it is locked and not uptodate until the copy ends. */
static const struct design d7_late = {
	.id = "7-late",
	.name = "copy after the commit",
	.recheck_holes = true,
	.commit_hold = HOLD_NONE,
	.reg_locks = "i_mmap_lock_write",
	.reg_immap = true,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.pre_commit_refuse = d7_guard,
	V2_COUNT_HOOKS,
	.of = "7",
	.ablation = true,
};

/* ------------------------------------------------------------------ */
/* 8. v2 without the count: upstream's placeholders, v2's precise walk. */

/* No count: the walk runs whenever the extent has holes, both in the fail
 * fast check (under i_mmap_lock_read) and in the commit step. */
static bool d8_early(const struct model *m, const struct state *s, char *why,
		     size_t n)
{
	uint8_t holes = extent_holes_now(m, s);
	int first = m->sc->start, last = m->sc->start + m->sc->len - 1;

	if (!holes) {
		snprintf(why, n, "no hole");
		return false;
	}
	if (armed_vma_over(m, s, holes, first, last, why, n))
		return true;
	snprintf(why, n, "no armed vma over a hole");
	return false;
}

/*
 * The commit step as in design 7, but registrations take only mmap_lock
 * (no hook in generic mm code): (a) and the retry entries under the
 * i_pages lock first, then the walk of exactly [start, start + NR - 1]
 * and the holes; the i_pages lock is kept to the join store (HOLD_XA).
 * A registration that the walk misses finds retry entries, not holes.
 */
static bool d8_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	int first = m->sc->start, last = m->sc->start + m->sc->len - 1;

	if (!s->c_holes) {
		snprintf(why, n, "nr_none == 0, no check");
		return false;
	}
	if (armed_vma_over(m, s, s->c_holes, first, last, why, n))
		return true;
	snprintf(why, n, "no armed vma over a hole in [%d..%d]", first, last);
	return false;
}

static const struct design d8 = {
	.id = "8",
	.name = "v2 w/o count: retry entries",
	.publish_uptodate = true,
	.recheck_holes = true,
	.retry_entries = true,
	.commit_hold = HOLD_XA,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.early_fail = d8_early,
	.pre_commit_refuse = d8_guard,
};

/* Ablation: design 8 without the retry entries. */
static const struct design d8_noretry = {
	.id = "8-noretry",
	.name = "w/o the retry entries",
	.publish_uptodate = true,
	.recheck_holes = true,
	.commit_hold = HOLD_XA,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.early_fail = d8_early,
	.pre_commit_refuse = d8_guard,
	.of = "8",
	.ablation = true,
};

/* ------------------------------------------------------------------ */

const struct design *const designs[] = {
	&d1,	       &d2,	      &d3,	  &d4,
	&d5,	       &d6,	      &d7,	  &d8,
	&d5_drop,      &d5_nofork,    &d5_early_only, &d5_short,
	&d7_norecheck, &d7_split,     &d7_noreg,      &d7_late,
	&d8_noretry,
};
const int nr_designs = sizeof(designs) / sizeof(designs[0]);

const struct design *design_by_id(const char *id)
{
	for (int i = 0; i < nr_designs; i++)
		if (!strcmp(designs[i]->id, id))
			return designs[i];
	return NULL;
}
