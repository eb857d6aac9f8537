/*
 * A run's hold on the machine-wide THP knobs, for a program that changes
 * them for a while and must leave them as it found them whatever happens:
 *  - a lock, so that two runs never change them at once: the second waits,
 *    saying on stderr whom it waits for;
 *  - the record under /run (cg_knob_record.h), written before any knob
 *    changes, so that the next run puts them back after a SIGKILL;
 *  - the restore at exit and on every fatal signal (cg_exit_guard.h).
 *
 * The lock is a POSIX record lock (fcntl) on CG_KNOB_LOCK rather than
 * flock(): children forked during the run do not inherit it, so orphans of
 * a killed run cannot keep the knobs locked, and F_GETLK names the holder.
 */
#ifndef CG_KNOB_HOLD_H
#define CG_KNOB_HOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "cg_knob_record.h"
#include "cg_knobs.h"

#define CG_KNOB_LOCK CG_RUN_DIR "/lock"
/* How long a run waits for another to give the knobs back. */
#define CG_KNOB_LOCK_WAIT_MS (10 * 60 * 1000)

/*
 * Waits up to wait_ms for the lock, puts back what a dead run recorded,
 * then saves, records and changes the knobs, guarded until
 * cg_knobs_give_back(). 0, or -1 with why and nothing left changed or held.
 * The exit guard must keep its default keep_mask (cg_exit_guard_install()
 * is called with 0 unless the program installed it before).
 */
int cg_knobs_take(struct cg_knob *knobs, size_t n, long wait_ms, char *why, size_t why_size);

/*
 * While cg_knobs_take() waits for the lock, it gives up as soon as
 * stop_requested() is true (the program was asked to stop); NULL: it waits.
 */
void cg_knobs_wait_unless(bool (*stop_requested)(void));

/* Restores the knobs, removes the record, lets go of the lock. */
void cg_knobs_give_back(void);

/*
 * For a run that may not change the knobs itself: when no run holds the
 * lock, puts back what a dead run recorded (saying so on stderr). Quiet
 * when there is nothing to do or another run holds the knobs.
 */
void cg_knobs_recover_if_free(void);

#endif
