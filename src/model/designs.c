/*
 * The designs under test, each a table of hooks called by the actors in
 * state.c.  The actors set the VMA flags, link/unlink VMAs and move the
 * page cache; a design only adds what its kernel code adds at those points.
 *
 *   1  no guard: Linux 6.1 as it is
 *   2  seed v1: flag of the scanned VMA, re-take mmap_lock and look again
 *   3  review's variant: flag read once under mmap_lock, passed down
 *   4  seed's proposal: per-inode counter, whole inode, commit iff zero
 *   5  ours: count of VM_UFFD_MISSING VMAs + walk of the extent's holes
 *   6  upstream (>= 6.4): placeholders, then walk [start, start + NR]
 *
 * plus a variant of design 5 (i_mmap_rwsem dropped before the commit) and
 * three ablations of design 5 that must fail (so that design 5 passing is
 * not a property of the scenario).
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
 * one of @holes (holes == ~0u: any index)? */
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
static bool d5_guard(const struct model *m, struct state *s, char *why,
		     size_t n)
{
	int first = m->sc->start, last = m->sc->start + m->sc->len - 1;

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
	snprintf(why, n, "count %d, no armed vma over a filled hole in [%d..%d]",
		 s->count, first, last);
	return false;
}

static const struct design d5 = {
	.id = "5",
	.name = "ours: count + hole walk",
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
	.ablation = true,
};

/* Ablation: the guard's walk stops one index short of the extent's end
 * (last = start + HPAGE_PMD_NR - 2). */
static bool d5_guard_short(const struct model *m, struct state *s, char *why,
			   size_t n)
{
	int first = m->sc->start, last = m->sc->start + m->sc->len - 2;

	if (!s->c_holes || !s->count) {
		snprintf(why, n, "%s", !s->c_holes ? "nr_none == 0, no check"
						   : "count 0");
		return false;
	}
	if (armed_vma_over(m, s, s->c_holes, first, last, why, n))
		return true;
	snprintf(why, n, "count %d, no armed vma over a filled hole in [%d..%d]",
		 s->count, first, last);
	return false;
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
	.ablation = true,
};

/* ------------------------------------------------------------------ */
/* 6. Upstream (Linux >= 6.4).                                         */

/*
 * collapse_file() leaves holes empty during its walk.  Then, if nr_none:
 * i_mmap_lock_read(); xas_lock_irq(); store XA_RETRY_ENTRY into every hole
 * (a hole that got a page meanwhile: SCAN_PAGE_FILLED);
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
	for (int i = first; i < first + sc->len; i++)
		if ((s->c_holes & BIT(i)) && s->pk[i] != PK_HOLE) {
			snprintf(why, n, "hole %d was filled: SCAN_PAGE_FILLED",
				 i);
			return true;
		}
	for (int i = first; i < first + sc->len; i++)
		if (s->c_holes & BIT(i))
			s->pk[i] = PK_RETRY;
	if (armed_vma_over(m, s, ~0u, first, last, why, n)) {
		size_t o = strlen(why);

		snprintf(why + o, n - o, " (walk [%d..%d])", first, last);
		return true;
	}
	snprintf(why, n, "retry entries stored; no armed vma over [%d..%d]",
		 first, last);
	return false;
}

static const struct design d6 = {
	.id = "6",
	.name = "upstream: placeholders",
	.fill_holes_early = false,
	.commit_hold = HOLD_XA,
	.guard_locks = "i_mmap_lock_read + xas_lock_irq",
	.pre_commit_refuse = d6_guard,
};

/* ------------------------------------------------------------------ */

const struct design *const designs[] = {
	&d1, &d2, &d3, &d4, &d5, &d6, &d5_drop, &d5_nofork, &d5_early_only,
	&d5_short,
};
const int nr_designs = sizeof(designs) / sizeof(designs[0]);

const struct design *design_by_id(const char *id)
{
	for (int i = 0; i < nr_designs; i++)
		if (!strcmp(designs[i]->id, id))
			return designs[i];
	return NULL;
}
