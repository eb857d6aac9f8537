/*
 * Sysfs knobs that a program changes for its run and must put back: each
 * knob remembers the value it found, and cg_knobs_restore() writes the
 * changed ones back in reverse order. Restoring uses only open/write/close,
 * so it may run from a signal handler; cg_knobs_guard_signals() has it run
 * at exit and on every fatal signal (see cg_exit_guard.h).
 *
 * A program that must also survive its own SIGKILL and other runs takes the
 * knobs with cg_knobs_take() (cg_knob_hold.h) instead of cg_knobs_apply().
 */
#ifndef CG_KNOBS_H
#define CG_KNOBS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cg_exit_guard.h"

#define CG_THP_DIR        "/sys/kernel/mm/transparent_hugepage"
#define CG_KHUGEPAGED_DIR CG_THP_DIR "/khugepaged"

struct cg_knob {
	const char *path;
	const char *wanted;
	const char *only_if;	/* change only when the value found is one of these
				   (comma-separated); NULL: always */
	char saved[32];		/* the value found, "madvise" for "always [madvise] never" */
	volatile sig_atomic_t changed;
};

/* Reads a knob's current value into value; 0 or -errno. */
int cg_knob_read(const char *path, char *value, size_t size);
/* 0 or -errno; async-signal-safe. */
int cg_knob_write(const char *path, const char *value);

/* Reads every knob's value into saved; 0, or -1 with why. */
int cg_knobs_save(struct cg_knob *knobs, size_t n, char *why, size_t why_size);
/* After cg_knobs_save(): whether the knob's saved value is to be changed. */
bool cg_knob_needs_change(const struct cg_knob *knob);
/*
 * After cg_knobs_save(): sets, in order, every knob that needs it to its
 * wanted value. On failure restores what was changed and returns -1 with why.
 */
int cg_knobs_change(struct cg_knob *knobs, size_t n, char *why, size_t why_size);
/*
 * After cg_knobs_save(), for a knob whose value a run changes as it goes
 * (restored like the others): writes value; 0 or -errno.
 */
int cg_knob_change_to(struct cg_knob *knob, const char *value);
/* cg_knobs_save() then cg_knobs_change(). */
int cg_knobs_apply(struct cg_knob *knobs, size_t n, char *why, size_t why_size);
/* Puts back every changed knob, last first; async-signal-safe. The number of failed writes. */
int cg_knobs_restore(struct cg_knob *knobs, size_t n);

/*
 * Until cg_knobs_unguard(), the knobs are restored at exit and on every
 * signal that would end the process (but those in handled_elsewhere_mask,
 * CG_GUARD_KEEP_*), which then ends it as the signal would have. Only one
 * set of knobs is guarded at a time.
 */
void cg_knobs_guard_signals(struct cg_knob *knobs, size_t n, int handled_elsewhere_mask);
void cg_knobs_unguard(void);

#endif
