/*
 * The actors and their atomic steps.
 *
 * Every step below runs as one atomic transition; the comment above each
 * says which locks make it atomic in the kernel.  A step that would have to
 * wait (for a page lock, or for a lock the collapse holds across steps) is
 * simply not enabled in that state.  The design under test is only called
 * through its hooks (designs.c); everything else is common to all designs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define BIT(i) (1u << (i))

/* Write a description only when one was asked for (the explorer does not). */
#define DESC(...)                                                              \
	do {                                                                   \
		if (d)                                                         \
			snprintf(d, n, __VA_ARGS__);                           \
	} while (0)

bool vma_maps(const struct scenario *sc, int v, int idx)
{
	return sc->vma[v].first <= idx && idx <= sc->vma[v].last;
}

static int mm_of(const struct model *m, int v)
{
	return m->sc->vma[v].mm;
}

static const char *vname(const struct model *m, int v)
{
	return m->sc->vma[v].name;
}

static const char *mname(const struct model *m, int mm)
{
	return m->sc->mm_name[mm];
}

int count_armed_linked(const struct model *m, const struct state *s)
{
	int c = 0;

	for (int v = 0; v < m->sc->nvma; v++)
		c += s->linked[v] && s->armed[v];
	return c;
}

/* Only the collapse holds a lock across steps (seed v1: mmap_lock for read;
 * upstream: the i_pages lock from its check to its store). */
static bool mmap_write_free(const struct state *s, int mm)
{
	return s->c_mmap_held != mm + 1;
}

static bool xa_free(const struct state *s)
{
	return !s->c_xa_held;
}

/* i_mmap_lock_write(): VMA link/unlink always, registration in designs
 * 4 and 5.  Blocked while the collapse holds i_mmap_rwsem for read
 * across steps (design 5, from its check to its join store). */
static bool immap_write_free(const struct state *s)
{
	return !s->c_immap_held;
}

static void holes_str(uint8_t mask, int nidx, char *buf, size_t n)
{
	size_t o = 0;

	o += snprintf(buf + o, n - o, "{");
	for (int i = 0; i < nidx && o < n; i++)
		if (mask & BIT(i))
			o += snprintf(buf + o, n - o, "%s%d",
				      o > 1 ? "," : "", i);
	if (o < n)
		snprintf(buf + o, n - o, "}");
}

/*
 * The observation the safety property is about: a VMA that has
 * VM_UFFD_MISSING while an index it maps is a true hole in the page cache
 * can observe that index as missing (a fault there raises an event).  The
 * mark lasts until the VMA is disarmed or unlinked, or until the index gets
 * a page from user space (the pager's UFFDIO_COPY, or a fault through an
 * unarmed VMA).  The collapse's own locked page or placeholder does not
 * clear it: that is exactly what a commit would turn into zeroes.
 */
static void update_seen(const struct model *m, struct state *s)
{
	const struct scenario *sc = m->sc;

	for (int v = 0; v < sc->nvma; v++) {
		if (!s->linked[v] || !s->armed[v]) {
			s->seen[v] = 0;
			continue;
		}
		for (int i = 0; i < sc->nidx; i++)
			if (vma_maps(sc, v, i) && s->pk[i] == PK_HOLE)
				s->seen[v] |= BIT(i);
	}
}

static void filled_by_user(const struct model *m, struct state *s, int i)
{
	for (int v = 0; v < m->sc->nvma; v++)
		s->seen[v] &= ~BIT(i);
	if (m->sc->observer && m->sc->obs_idx == i)
		s->obs_missing = 0;
}

/* The registration of @v ended (disarmed or unlinked): what its observer
 * saw missing no longer binds anybody. */
static void registration_ended(const struct model *m, struct state *s, int v)
{
	if (m->sc->observer && m->sc->obs_vma == v)
		s->obs_missing = 0;
}

static bool index_locked(const struct state *s, int i)
{
	return s->pk[i] == PK_LOCKED || s->pk[i] == PK_NEW ||
	       s->pk[i] == PK_RETRY;
}

void model_init(const struct model *m, struct state *s)
{
	const struct scenario *sc = m->sc;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < sc->nidx; i++) {
		bool p = sc->present & BIT(i);

		s->pk[i] = p ? PK_PAGE : PK_HOLE;
		s->content[i] = p ? C_ORIG : C_NONE;
	}
	for (int v = 0; v < sc->nvma; v++) {
		s->linked[v] = sc->vma[v].linked;
		s->armed[v] = sc->vma[v].linked && sc->vma[v].armed;
		/* the mmap (and registration) that set this up happened
		 * before the scenario: account it through the same hook */
		if (s->linked[v] && m->d->on_vma_link)
			m->d->on_vma_link(m, s, v, L_MMAP);
	}
	s->c_vma = NO_VMA;
	s->c_phase = CP_SCAN_VMA;
	for (int r = sc->nreg; r < MAX_REG; r++)
		s->reg_pc[r] = (uint8_t)reg_steps(sc);
	s->f_state = sc->faulter ? F_IDLE : F_DONE;
	s->fork_done = !sc->fork;
	s->exit_done = !(sc->fork && sc->exit_child);
	s->munmap_done = sc->munmap_vma == NO_VMA;
	s->copy_done = !sc->copier;
	s->obs_done = !sc->observer;
	update_seen(m, s);
}

/* ------------------------------------------------------------------ */
/* The collapse: khugepaged or MADV_COLLAPSE, then collapse_file().    */

/* Join store: the extent becomes one multi-index entry of the huge page,
 * still locked; its holes will be zero-filled.  This is where a hole is
 * decided to become zeroes, so the safety property is checked here. */
static void why_add(struct events *ev, const char *fmt, int a, const char *b)
{
	size_t o = strlen(ev->why);

	if (o + 1 < sizeof(ev->why))
		snprintf(ev->why + o, sizeof(ev->why) - o, fmt, a, b);
}

static void commit(const struct model *m, struct state *s, struct events *ev)
{
	const struct scenario *sc = m->sc;

	for (int i = sc->start; i < sc->start + sc->len; i++) {
		if (s->c_holes & BIT(i)) {
			if (s->pk[i] == PK_PAGE) {
				ev->bits |= EV_LOSTPAGE;
				why_add(ev, "index %d got a page after the walk "
					    "and the commit overwrites it%s; ",
					i, "");
			}
			for (int v = 0; v < sc->nvma; v++) {
				if (s->seen[v] & BIT(i)) {
					ev->bits |= EV_ZEROFILL;
					why_add(ev, "index %d is zero-filled although "
						    "armed vma %s could see it missing; ",
						i, vname(m, v));
				}
				if (s->linked[v] && s->armed[v] &&
				    vma_maps(sc, v, i)) {
					ev->bits |= EV_STRICT;
					why_add(ev, "index %d: vma %s maps it and is "
						    "armed at the commit; ",
						i, vname(m, v));
				}
			}
			s->content[i] = C_ZEROFILL;
		}
		s->pk[i] = m->d->publish_uptodate ? PK_LOCKED : PK_NEW;
	}
	ev->bits |= EV_COMMIT;
}

/* Rollback: 6.1 restores the holes and puts the small pages back in the
 * huge page's slots, then unlocks and frees the huge page (waiters retry
 * their lookup); upstream clears its retry entries.  Designs that keep
 * holes empty and small pages in the page cache only unlock those. */
static void rollback(const struct model *m, struct state *s)
{
	const struct scenario *sc = m->sc;

	for (int i = sc->start; i < sc->start + sc->len; i++) {
		if (s->c_isolated & BIT(i))
			s->pk[i] = PK_PAGE;
		else if (s->pk[i] == PK_NEW || s->pk[i] == PK_RETRY)
			s->pk[i] = PK_HOLE;
	}
	s->c_mmap_held = 0;
	s->c_xa_held = 0;
	s->c_immap_held = 0;
}

/* The collapse ends without a commit: a fault waiting on its huge page
 * waited for nothing (issue 10, item 3). */
static void end_uncommitted(const struct model *m, struct state *s,
			    enum outcome o, struct events *ev)
{
	const struct scenario *sc = m->sc;

	if (sc->faulter && s->f_state == F_WAIT &&
	    s->pk[sc->fault_idx] == PK_NEW) {
		size_t l = strlen(ev->why);

		ev->bits |= EV_WAITED;
		snprintf(ev->why + l, sizeof(ev->why) - l,
			 "; the fault on index %d waited on the huge page of a "
			 "collapse that %s",
			 sc->fault_idx, o == O_GAVE_UP ? "gives up" : "is refused");
	}
	rollback(m, s);
	s->c_outcome = o;
	s->c_phase = CP_DONE;
	ev->bits |= EV_REFUSE | (o == O_GAVE_UP ? EV_GAVE_UP : 0);
}

/* Holes recorded by the walk that are no longer empty. */
static uint8_t holes_filled_meanwhile(const struct model *m,
				      const struct state *s)
{
	uint8_t filled = 0;

	for (int i = m->sc->start; i < m->sc->start + m->sc->len; i++)
		if ((s->c_holes & BIT(i)) && s->pk[i] != PK_HOLE &&
		    s->pk[i] != PK_RETRY)
			filled |= BIT(i);
	return filled;
}

static bool collapse_step(const struct model *m, struct state *s, int choice,
			  struct events *ev, char *d, size_t n)
{
	const struct scenario *sc = m->sc;
	const struct design *dz = m->d;
	int start = sc->start, last = sc->start + sc->len - 1;
	char why[160] = "", hs[40];

	switch (s->c_phase) {
	case CP_SCAN_VMA: {
		/* khugepaged_scan_mm_slot() / madvise_collapse():
		 * mmap_read_lock(mm), look at the VMA, mmap_read_unlock(mm).
		 * choice = which VMA (of which mm) was scanned. */
		bool any = false;

		for (int v = 0; v < sc->nvma; v++)
			any |= (sc->scan_cands & BIT(v)) && s->linked[v];
		if (!any) {
			if (choice)
				return false;
			s->c_outcome = O_NOVMA;
			s->c_phase = CP_DONE;
			DESC("no VMA maps the extent any more: nothing to scan");
			return true;
		}
		if (choice >= sc->nvma || !(sc->scan_cands & BIT(choice)) ||
		    !s->linked[choice])
			return false;
		s->c_vma = choice;
		if (dz->on_scan)
			dz->on_scan(m, s);
		s->c_phase = CP_SCAN_FILE;
		DESC("scan vma %s of mm %s under mmap_read_lock(%s)%s; "
		     "mmap_read_unlock",
		     vname(m, choice), mname(m, mm_of(m, choice)),
		     mname(m, mm_of(m, choice)),
		     dz->on_scan ? (s->c_flag ? "; uffd armed: yes"
					      : "; uffd armed: no")
				 : "");
		return true;
	}
	case CP_SCAN_FILE: {
		/* hpage_collapse_scan_file(): lockless (RCU) look at the
		 * extent, then the design's fail-fast check. */
		uint8_t holes = 0;
		bool fail;

		if (choice)
			return false;
		for (int i = start; i <= last; i++)
			if (s->pk[i] == PK_HOLE)
				holes |= BIT(i);
		holes_str(holes, sc->nidx, hs, sizeof(hs));
		fail = dz->early_fail && dz->early_fail(m, s, why, sizeof(why));
		if (fail) {
			s->c_outcome = O_FAILFAST;
			s->c_phase = CP_DONE;
			ev->bits |= EV_REFUSE;
			snprintf(ev->why, sizeof(ev->why), "early check: %s", why);
			DESC("scan file [%d..%d] (RCU): holes %s; early check "
			     "fails: %s",
			     start, last, hs, why);
		} else {
			s->c_phase = CP_FILL;
			s->c_next = 0;
			DESC("scan file [%d..%d] (RCU): holes %s%s%s; "
			     "collapse_file() allocates the huge page",
			     start, last, hs, dz->early_fail ? "; early check: " : "",
			     dz->early_fail ? why : "");
		}
		return true;
	}
	case CP_FILL: {
		/* collapse_file() walk, one index per step, under
		 * xas_lock_irq() (and the small page's lock). */
		int i = start + s->c_next;
		char pre[64] = "";

		if (choice || !xa_free(s))
			return false;
		if (dz->mmap_over_fill && s->c_next == 0) {
			s->c_mmap_held = mm_of(m, s->c_vma) + 1;
			snprintf(pre, sizeof(pre), "mmap_read_lock(%s) (kept); ",
				 mname(m, mm_of(m, s->c_vma)));
		}
		if (s->pk[i] == PK_HOLE) {
			s->c_holes |= BIT(i);
			if (dz->fill_holes_early) {
				s->pk[i] = PK_NEW;
				DESC("%sindex %d under xas_lock_irq: hole, store "
				     "the locked, not uptodate huge page",
				     pre, i);
			} else {
				DESC("%sindex %d under xas_lock_irq: hole, leave "
				     "it empty (record it, nr_none++)",
				     pre, i);
			}
		} else if (s->pk[i] == PK_PAGE) {
			s->c_isolated |= BIT(i);
			s->pk[i] = dz->fill_holes_early ? PK_NEW : PK_LOCKED;
			DESC("%sindex %d under xas_lock_irq: page, lock and "
			     "isolate it%s",
			     pre, i,
			     dz->fill_holes_early
				     ? ", huge page takes its slot"
				     : "; it stays in the page cache, locked");
		} else {
			fprintf(stderr, "guard-model: index %d busy in walk\n", i);
			abort();
		}
		if (++s->c_next == sc->len)
			s->c_phase = dz->publish_uptodate ? CP_COPY : CP_GUARD;
		return true;
	}
	case CP_COPY:
		/* copy_highpage()/clear_highpage() into the huge page, which
		 * is not in the page cache; SetPageUptodate().  The small
		 * pages are locked, so their data cannot change. */
		if (choice)
			return false;
		s->c_phase = CP_GUARD;
		holes_str(s->c_holes, sc->nidx, hs, sizeof(hs));
		DESC("copy the pages into the private huge page, zero holes %s, "
		     "mark it uptodate (nobody can see it)",
		     hs);
		return true;
	case CP_GUARD: {
		uint8_t filled;
		char pre[96] = "";
		bool refuse;

		if (choice)
			return false;
		filled = dz->recheck_holes ? holes_filled_meanwhile(m, s) : 0;
		if (filled) {
			holes_str(filled, sc->nidx, hs, sizeof(hs));
			snprintf(ev->why, sizeof(ev->why),
				 "holes %s were filled meanwhile: SCAN_PAGE_FILLED",
				 hs);
			end_uncommitted(m, s, O_GAVE_UP, ev);
			DESC("under %s: holes %s were filled meanwhile -> give up "
			     "(SCAN_PAGE_FILLED, EAGAIN); unlock the small pages, "
			     "free the huge page; the filler's data stays",
			     dz->guard_locks, hs);
			return true;
		}
		if (dz->retry_entries && s->c_holes) {
			for (int i = start; i <= last; i++)
				if (s->c_holes & BIT(i))
					s->pk[i] = PK_RETRY;
			snprintf(pre, sizeof(pre), "holes still empty, retry "
						   "entries stored; ");
		} else if (dz->recheck_holes && s->c_holes) {
			snprintf(pre, sizeof(pre), "holes still empty; ");
		}
		refuse = dz->pre_commit_refuse &&
			 dz->pre_commit_refuse(m, s, why, sizeof(why));
		if (!dz->pre_commit_refuse)
			snprintf(why, sizeof(why), "no check");
		if (refuse) {
			snprintf(ev->why, sizeof(ev->why), "guard: %s", why);
			end_uncommitted(m, s, O_REFUSED, ev);
			DESC("guard under %s: %s%s -> refuse: roll back (%s)",
			     dz->guard_locks, pre, why,
			     dz->fill_holes_early
				     ? "holes restored, pages put back, huge "
				       "page freed"
				     : dz->retry_entries
					       ? "retry entries cleared, small "
						 "pages unlocked"
					       : "nothing to undo in the page "
						 "cache: small pages unlocked");
		} else if (dz->commit_hold != HOLD_NONE) {
			static const char *const kept[] = {
				[HOLD_XA] = "i_mmap_unlock_read, i_pages lock kept",
				[HOLD_IMMAP] = "i_mmap_rwsem kept",
				[HOLD_NOTHING] = "i_mmap_unlock_read",
			};

			s->c_xa_held = dz->commit_hold == HOLD_XA;
			s->c_immap_held = dz->commit_hold == HOLD_IMMAP;
			s->c_phase = CP_COMMIT;
			DESC("guard under %s: %s%s -> pass; %s", dz->guard_locks,
			     pre, why, kept[dz->commit_hold]);
		} else {
			commit(m, s, ev);
			s->c_mmap_held = 0;
			s->c_phase = CP_FINISH;
			DESC("guard under %s: %s%s -> commit: join store of the "
			     "%shuge page over [%d..%d]",
			     dz->guard_locks, pre, why,
			     dz->publish_uptodate ? "uptodate " : "", start, last);
		}
		return true;
	}
	case CP_COMMIT: {
		/* a store that retakes the i_pages lock checks the holes
		 * again (only 7-split can find one filled here) */
		uint8_t filled;

		if (choice)
			return false;
		filled = dz->recheck_holes && !s->c_xa_held
				 ? holes_filled_meanwhile(m, s)
				 : 0;
		if (filled) {
			holes_str(filled, sc->nidx, hs, sizeof(hs));
			snprintf(ev->why, sizeof(ev->why),
				 "holes %s were filled meanwhile: SCAN_PAGE_FILLED",
				 hs);
			end_uncommitted(m, s, O_GAVE_UP, ev);
			DESC("xas_lock_irq: holes %s were filled meanwhile -> give "
			     "up (SCAN_PAGE_FILLED)",
			     hs);
			return true;
		}
		commit(m, s, ev);
		s->c_mmap_held = 0;
		if (dz->commit_hold == HOLD_XA) {
			s->c_xa_held = 0;
			DESC("join store of the %shuge page over [%d..%d]; "
			     "xas_unlock_irq",
			     dz->publish_uptodate ? "uptodate " : "", start, last);
		} else if (dz->commit_hold == HOLD_IMMAP) {
			s->c_immap_held = 0;
			DESC("xas_lock_irq; join store of the %shuge page over "
			     "[%d..%d]; xas_unlock_irq; i_mmap_unlock_read",
			     dz->publish_uptodate ? "uptodate " : "", start, last);
		} else {
			DESC("xas_lock_irq; %sjoin store of the %shuge page over "
			     "[%d..%d]; xas_unlock_irq",
			     dz->recheck_holes ? "holes still empty; " : "",
			     dz->publish_uptodate ? "uptodate " : "", start, last);
		}
		s->c_phase = CP_FINISH;
		return true;
	}
	case CP_FINISH:
		/* 6.1: copy_highpage()/clear_highpage(), SetPageUptodate();
		 * then (every design) unlock_page(hpage): waiters see it. */
		if (choice)
			return false;
		for (int i = start; i <= last; i++)
			s->pk[i] = PK_PAGE;
		s->c_outcome = O_COMMITTED;
		s->c_phase = CP_DONE;
		holes_str(s->c_holes, sc->nidx, hs, sizeof(hs));
		if (dz->publish_uptodate)
			DESC("unlock the huge page");
		else
			DESC("copy pages, zero-fill holes %s, mark uptodate, "
			     "unlock the huge page",
			     hs);
		return true;
	case CP_DONE:
	default:
		return false;
	}
}

int reg_steps(const struct scenario *sc)
{
	return 2 * (sc->reg_cycles ? sc->reg_cycles : 1);
}

/* ------------------------------------------------------------------ */
/* Registrar r: UFFDIO_REGISTER (MISSING), later UFFDIO_UNREGISTER.   */

/* The VMA was disarmed or unlinked: its waiting faults are woken
 * (userfaultfd_unregister() -> wake_userfault()), and what the faulter
 * expected from the pager ends with that registration. */
static void wake_faults_of(const struct model *m, struct state *s, int v)
{
	if (!m->sc->faulter || m->sc->fault_vma != v)
		return;
	if (s->f_state == F_SLEEP)
		s->f_state = F_RETRY;
	s->f_raised = 0;
}

static bool reg_step(const struct model *m, struct state *s, int r, int choice,
		     char *d, size_t n)
{
	const struct design *dz = m->d;
	int v, mm;

	if (r >= m->sc->nreg || s->reg_pc[r] >= reg_steps(m->sc) || choice)
		return false;
	v = m->sc->reg_vma[r];
	mm = mm_of(m, v);
	/* userfaultfd_register()/unregister(): mmap_write_lock(mm) */
	if (!mmap_write_free(s, mm) || (dz->reg_immap && !immap_write_free(s)))
		return false;
	if (s->reg_pc[r] % 2 == 0) {
		if (!s->linked[v]) {
			DESC("UFFDIO_REGISTER on vma %s: no vma any more, fails",
			     vname(m, v));
		} else {
			s->armed[v] = 1;
			if (dz->on_register)
				dz->on_register(m, s, v);
			DESC("UFFDIO_REGISTER MISSING on vma %s under "
			     "mmap_write_lock(%s)%s%s",
			     vname(m, v), mname(m, mm), dz->reg_locks ? " + " : "",
			     dz->reg_locks ? dz->reg_locks : "");
		}
	} else {
		if (!s->linked[v] || !s->armed[v]) {
			DESC("UFFDIO_UNREGISTER on vma %s: nothing registered",
			     vname(m, v));
		} else {
			s->armed[v] = 0;
			if (dz->on_unregister)
				dz->on_unregister(m, s, v);
			wake_faults_of(m, s, v);
			registration_ended(m, s, v);
			DESC("UFFDIO_UNREGISTER vma %s under mmap_write_lock(%s)%s%s; "
			     "wakes its waiting faults",
			     vname(m, v), mname(m, mm), dz->reg_locks ? " + " : "",
			     dz->reg_locks ? dz->reg_locks : "");
		}
	}
	s->reg_pc[r]++;
	return true;
}

/* ------------------------------------------------------------------ */
/* The faulting thread and its pager.                                  */

static const char *content_name(int c)
{
	switch (c) {
	case C_ORIG: return "original data";
	case C_PAGER: return "the pager's page";
	case C_ZALLOC: return "a zero page it allocated";
	case C_ZEROFILL: return "ZEROES FROM THE COLLAPSE";
	default: return "nothing";
	}
}

static bool fault_step(const struct model *m, struct state *s, int choice,
		       struct events *ev, char *d, size_t n)
{
	const struct scenario *sc = m->sc;
	int v = sc->fault_vma, i = sc->fault_idx;
	const char *what;

	if (!sc->faulter || choice)
		return false;
	if (s->f_state != F_IDLE && s->f_state != F_RETRY &&
	    s->f_state != F_WAIT)
		return false;
	if (s->f_state == F_WAIT) {
		/* woken by unlock_page() (or the retry entry is gone) */
		if (index_locked(s, i))
			return false;
		what = "woken, look up";
	} else {
		what = s->f_state == F_RETRY ? "retry" : "touch";
		if (s->f_state == F_RETRY && ++s->f_retries > MAX_RETRIES) {
			ev->bits |= EV_LIVELOCK;
			snprintf(ev->why, sizeof(ev->why),
				 "fault retried %d times", s->f_retries);
		}
	}
	/* shmem_get_folio_gfp() waits on the locked page (and spins on a
	 * retry entry) until the collapse lets go of it. */
	if (index_locked(s, i)) {
		s->f_state = F_WAIT;
		DESC("%s index %d via vma %s: %s", what, i, vname(m, v),
		     s->pk[i] == PK_NEW
			     ? "the collapse's huge page (locked, not uptodate): "
			       "waits on its page lock"
			     : s->pk[i] == PK_RETRY
				       ? "retry entry: spins"
				       : "locked page: waits on its page lock");
		return true;
	}
	/* a fault through an unarmed VMA allocates a page into the hole:
	 * shmem_add_to_page_cache() needs the i_pages lock */
	if (s->linked[v] && s->pk[i] == PK_HOLE && !s->armed[v] && !xa_free(s))
		return false;
	/* handle_mm_fault() under mmap_read_lock(mm) */
	if (!s->linked[v]) {
		s->f_state = F_DONE;
		DESC("%s index %d via vma %s: no vma, SIGSEGV", what, i,
		     vname(m, v));
	} else if (s->pk[i] == PK_PAGE) {
		s->f_state = F_DONE;
		s->f_result = s->content[i];
		if (s->f_raised && s->armed[v] && s->content[i] == C_ZEROFILL) {
			ev->bits |= EV_VISIBLE;
			snprintf(ev->why, sizeof(ev->why),
				 "the fault raised an event for index %d, yet it "
				 "maps the collapse's zeroes through armed vma %s: "
				 "the pager's page is lost",
				 i, vname(m, v));
		}
		DESC("%s index %d via vma %s: maps %s", what, i, vname(m, v),
		     content_name(s->content[i]));
	} else if (s->armed[v]) {
		s->f_event = 1;
		s->f_raised = 1;
		s->f_state = F_SLEEP;
		DESC("%s index %d via vma %s: missing, vma armed: "
		     "handle_userfault() queues an event, sleeps",
		     what, i, vname(m, v));
	} else {
		s->pk[i] = PK_PAGE;
		s->content[i] = C_ZALLOC;
		filled_by_user(m, s, i);
		s->f_state = F_DONE;
		s->f_result = C_ZALLOC;
		DESC("%s index %d via vma %s: missing, vma not armed: shmem "
		     "allocates a zero page",
		     what, i, vname(m, v));
	}
	return true;
}

/* The pager reads the event and resolves it: UFFDIO_COPY (mfill_atomic():
 * mmap_read_lock, shmem_mfill_atomic_pte() -> shmem_add_to_page_cache()
 * under the i_pages lock), then wakes the faulter (also on failure). */
static bool pager_step(const struct model *m, struct state *s, int choice,
		       char *d, size_t n)
{
	const struct scenario *sc = m->sc;
	int v = sc->fault_vma, i = sc->fault_idx;

	if (!sc->faulter || !s->f_event || choice || !xa_free(s))
		return false;
	if (!s->linked[v] || !s->armed[v]) {
		DESC("UFFDIO_COPY index %d: ENOENT (not registered any more); "
		     "wake",
		     i);
	} else if (s->pk[i] == PK_HOLE) {
		s->pk[i] = PK_PAGE;
		s->content[i] = C_PAGER;
		filled_by_user(m, s, i);
		DESC("UFFDIO_COPY index %d: page supplied; wakes the faulter", i);
	} else {
		s->copy_eexist |= BIT(i);
		DESC("UFFDIO_COPY index %d: EEXIST (index occupied); "
		     "UFFDIO_WAKE",
		     i);
	}
	s->f_event = 0;
	if (s->f_state == F_SLEEP)
		s->f_state = F_RETRY;
	return true;
}

/*
 * A pager's UFFDIO_COPY that no fault asked for (post-copy migration sends
 * pages in the background): once, while its VMA is registered.  Same path
 * as the pager's: -EEXIST unless the index is empty.  In 6.1,
 * userfaultfd_copy() then returns without waking anybody, and QEMU's
 * postcopy_place_page() treats any error as fatal.
 */
static const char *occupant(const struct state *s, int i)
{
	switch (s->pk[i]) {
	case PK_NEW: return "the collapse's huge page";
	case PK_RETRY: return "a retry entry";
	case PK_LOCKED: return "a locked page";
	default: return "a page";
	}
}

static bool copy_step(const struct model *m, struct state *s, int choice,
		      char *d, size_t n)
{
	const struct scenario *sc = m->sc;
	int v = sc->copy_vma, i = sc->copy_idx;

	if (s->copy_done || choice || !s->linked[v] || !s->armed[v] ||
	    !xa_free(s))
		return false;
	if (s->pk[i] == PK_HOLE) {
		s->pk[i] = PK_PAGE;
		s->content[i] = C_PAGER;
		filled_by_user(m, s, i);
		DESC("UFFDIO_COPY index %d via vma %s (no fault asked): page "
		     "placed",
		     i, vname(m, v));
	} else {
		s->copy_eexist |= BIT(i);
		DESC("UFFDIO_COPY index %d via vma %s (no fault asked): EEXIST, "
		     "the index holds %s",
		     i, vname(m, v), occupant(s, i));
	}
	s->copy_done = 1;
	return true;
}

/*
 * lseek(SEEK_DATA/SEEK_HOLE) or mincore() of one index, once, while the
 * observer's VMA is registered: mapping_seek_hole_data() and
 * filemap_get_incore_folio() under RCU.  A page that is not uptodate
 * reads as a hole (shmem has no ->is_partially_uptodate); a retry entry
 * makes the lookup spin (not enabled).
 */
static bool observe_step(const struct model *m, struct state *s, int choice,
			 char *d, size_t n)
{
	const struct scenario *sc = m->sc;
	int v = sc->obs_vma, i = sc->obs_idx;

	if (s->obs_done || choice || !s->linked[v] || !s->armed[v] ||
	    s->pk[i] == PK_RETRY)
		return false;
	s->obs_done = 1;
	if (s->pk[i] == PK_HOLE || s->pk[i] == PK_NEW) {
		s->obs_missing = 1;
		DESC("lseek/mincore index %d (vma %s registered): %s", i,
		     vname(m, v),
		     s->pk[i] == PK_HOLE ? "hole, missing"
					 : "huge page not uptodate: reads as "
					   "a hole, missing");
	} else {
		DESC("lseek/mincore index %d (vma %s registered): data", i,
		     vname(m, v));
	}
	return true;
}

/* After a collapse step: did it just turn an index that the observer saw
 * missing, under a registration that still stands, into its zeroes? */
static void check_observed_filled(const struct model *m, struct state *s,
				  struct events *ev)
{
	int i = m->sc->obs_idx;
	size_t l = strlen(ev->why);

	if (!m->sc->observer || !s->obs_missing ||
	    (s->pk[i] != PK_PAGE && s->pk[i] != PK_LOCKED) ||
	    s->content[i] != C_ZEROFILL)
		return;
	ev->bits |= EV_OBSERVED;
	snprintf(ev->why + l, sizeof(ev->why) - l,
		 "%sindex %d was observed missing after vma %s registered, and "
		 "now holds the collapse's zeroes",
		 l && ev->why[l - 1] != ' ' ? "; " : "", i,
		 vname(m, m->sc->obs_vma));
	s->obs_missing = 0; /* reported once */
}

/* ------------------------------------------------------------------ */
/* VMA lifecycle.                                                      */

/* kernel/fork.c dup_mmap(): mmap_write_lock(oldmm); dup_userfaultfd()
 * keeps the child's uffd bits only with UFFD_FEATURE_EVENT_FORK; the child
 * VMA is linked after the parent's under i_mmap_lock_write. */
static bool fork_step(const struct model *m, struct state *s, int choice,
		      char *d, size_t n)
{
	const struct scenario *sc = m->sc;
	int p = sc->fork_parent, c = sc->fork_child;

	if (s->fork_done || choice || !mmap_write_free(s, mm_of(m, p)) ||
	    !immap_write_free(s))
		return false;
	if (!s->linked[p]) {
		DESC("fork of mm %s: vma %s gone, nothing to copy",
		     mname(m, mm_of(m, p)), vname(m, p));
	} else {
		s->linked[c] = 1;
		s->armed[c] = s->armed[p] && sc->event_fork;
		if (m->d->on_vma_link)
			m->d->on_vma_link(m, s, c, L_FORK);
		DESC("fork mm %s -> mm %s: dup_mmap() copies vma %s as %s (%s), "
		     "links it under i_mmap_lock_write",
		     mname(m, mm_of(m, p)), mname(m, mm_of(m, c)), vname(m, p),
		     vname(m, c),
		     s->armed[c] ? "armed: EVENT_FORK" : "not armed");
	}
	s->fork_done = 1;
	return true;
}

/* mm/mmap.c exit_mmap() / do_munmap() -> unlink_file_vma() ->
 * __remove_shared_vm_struct() under i_mmap_lock_write. */
static bool unlink_step(const struct model *m, struct state *s, int v,
			enum lwhy why, char *d, size_t n)
{
	if (!mmap_write_free(s, mm_of(m, v)) || !immap_write_free(s))
		return false;
	if (s->linked[v]) {
		if (m->d->on_vma_unlink)
			m->d->on_vma_unlink(m, s, v, why);
		s->linked[v] = 0;
		s->armed[v] = 0;
		s->seen[v] = 0;
		wake_faults_of(m, s, v);
		registration_ended(m, s, v);
		DESC("%s of mm %s: vma %s unlinked from i_mmap under "
		     "i_mmap_lock_write",
		     why == L_EXIT ? "exit" : "munmap", mname(m, mm_of(m, v)),
		     vname(m, v));
	} else {
		DESC("%s of mm %s: vma %s not there", why == L_EXIT ? "exit" : "munmap",
		     mname(m, mm_of(m, v)), vname(m, v));
	}
	return true;
}

/* ------------------------------------------------------------------ */

int model_choices(int actor)
{
	return actor == ACT_COLLAPSE ? MAX_VMA : 1;
}

bool model_step(const struct model *m, struct state *s, int actor, int choice,
		struct events *ev, char *d, size_t n)
{
	const struct scenario *sc = m->sc;
	bool ok = false;

	ev->bits = 0;
	ev->why[0] = '\0';
	switch (actor) {
	case ACT_COLLAPSE:
		ok = collapse_step(m, s, choice, ev, d, n);
		if (ok)
			check_observed_filled(m, s, ev);
		break;
	case ACT_REG0:
	case ACT_REG1:
		ok = reg_step(m, s, actor - ACT_REG0, choice, d, n);
		break;
	case ACT_FAULT:
		ok = fault_step(m, s, choice, ev, d, n);
		break;
	case ACT_PAGER:
		ok = pager_step(m, s, choice, d, n);
		break;
	case ACT_FORK:
		ok = sc->fork && fork_step(m, s, choice, d, n);
		break;
	case ACT_EXIT:
		if (!s->exit_done && s->fork_done && !choice &&
		    unlink_step(m, s, sc->fork_child, L_EXIT, d, n)) {
			s->exit_done = 1;
			ok = true;
		}
		break;
	case ACT_MUNMAP:
		if (!s->munmap_done && !choice &&
		    unlink_step(m, s, sc->munmap_vma, L_MUNMAP, d, n)) {
			s->munmap_done = 1;
			ok = true;
		}
		break;
	case ACT_COPY:
		ok = sc->copier && copy_step(m, s, choice, d, n);
		break;
	case ACT_OBSERVE:
		ok = sc->observer && observe_step(m, s, choice, d, n);
		break;
	}
	if (ok)
		update_seen(m, s);
	return ok;
}

/* The collapse is over, and an index for which a UFFDIO_COPY got EEXIST is
 * a hole: the pager was told of a page it never got (issue 10, item 1). */
bool model_eexist_for_hole(const struct model *m, const struct state *s)
{
	if (s->c_phase != CP_DONE)
		return false;
	for (int i = 0; i < m->sc->nidx; i++)
		if ((s->copy_eexist & BIT(i)) && s->pk[i] == PK_HOLE)
			return true;
	return false;
}

/* A fault asleep in handle_userfault() with no event left to serve: nobody
 * but an unregistration would ever wake it. */
bool model_lost_wakeup(const struct model *m, const struct state *s)
{
	return m->sc->faulter && s->f_state == F_SLEEP && !s->f_event;
}

/* The background copy and the observer act only while their VMA is
 * registered; they may never get to, so they are not waited for. */
bool model_all_done(const struct model *m, const struct state *s)
{
	for (int r = 0; r < MAX_REG; r++)
		if (s->reg_pc[r] < reg_steps(m->sc))
			return false;
	return s->c_phase == CP_DONE && s->f_state == F_DONE && !s->f_event &&
	       s->fork_done && s->exit_done && s->munmap_done;
}

const char *actor_name(const struct model *m, int actor, char *buf, size_t n)
{
	const struct scenario *sc = m->sc;

	switch (actor) {
	case ACT_COLLAPSE:
		snprintf(buf, n, "collapse");
		break;
	case ACT_REG0:
	case ACT_REG1:
		snprintf(buf, n, "registrar %s",
			 mname(m, mm_of(m, sc->reg_vma[actor - ACT_REG0])));
		break;
	case ACT_FAULT:
		snprintf(buf, n, "fault %s", mname(m, mm_of(m, sc->fault_vma)));
		break;
	case ACT_PAGER:
		snprintf(buf, n, "pager %s", mname(m, mm_of(m, sc->fault_vma)));
		break;
	case ACT_FORK:
		snprintf(buf, n, "fork %s", mname(m, mm_of(m, sc->fork_parent)));
		break;
	case ACT_EXIT:
		snprintf(buf, n, "exit %s", mname(m, mm_of(m, sc->fork_child)));
		break;
	case ACT_MUNMAP:
		snprintf(buf, n, "munmap %s", mname(m, mm_of(m, sc->munmap_vma)));
		break;
	case ACT_COPY:
		snprintf(buf, n, "pager %s", mname(m, mm_of(m, sc->copy_vma)));
		break;
	case ACT_OBSERVE:
		snprintf(buf, n, "observer %s", mname(m, mm_of(m, sc->obs_vma)));
		break;
	default:
		snprintf(buf, n, "?");
	}
	return buf;
}

/* One line: the page cache, the armed VMAs, the count. */
void model_summary(const struct model *m, const struct state *s, char *buf,
		   size_t n)
{
	static const char *const pkn[] = {
		[PK_HOLE] = "hole",
		[PK_RETRY] = "retry",
		[PK_NEW] = "new",
	};
	static const char *const cn[] = { "-", "orig", "pager", "zero",
					  "ZEROFILL" };
	const struct scenario *sc = m->sc;
	size_t o = 0;
	bool any = false;

	for (int i = 0; i < sc->nidx && o < n; i++) {
		o += snprintf(buf + o, n - o, "%s%d:", i ? " " : "", i);
		if (o >= n)
			break;
		if (s->pk[i] == PK_PAGE)
			o += snprintf(buf + o, n - o, "%s", cn[s->content[i]]);
		else if (s->pk[i] == PK_LOCKED)
			o += snprintf(buf + o, n - o, "%s/L", cn[s->content[i]]);
		else
			o += snprintf(buf + o, n - o, "%s", pkn[s->pk[i]]);
	}
	if (o < n)
		o += snprintf(buf + o, n - o, " | armed:");
	for (int v = 0; v < sc->nvma && o < n; v++)
		if (s->linked[v] && s->armed[v]) {
			o += snprintf(buf + o, n - o, " %s", vname(m, v));
			any = true;
		}
	if (!any && o < n)
		o += snprintf(buf + o, n - o, " -");
	if (m->d->invariant && o < n)
		snprintf(buf + o, n - o, " | count %d", s->count);
}
