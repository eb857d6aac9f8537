/*
 * Sysfs knobs that a program changes for its run and must put back: each
 * knob remembers the value it found, and cg_knobs_restore() writes the
 * changed ones back in reverse order. Restoring uses only open/write/close,
 * so it may run from a signal handler; cg_knobs_guard_signals() installs
 * handlers that restore and then die of the signal as before.
 */
#ifndef CG_KNOBS_H
#define CG_KNOBS_H

#include <signal.h>
#include <stddef.h>

#define CG_THP_DIR        "/sys/kernel/mm/transparent_hugepage"
#define CG_KHUGEPAGED_DIR CG_THP_DIR "/khugepaged"

struct cg_knob {
	const char *path;
	const char *wanted;
	const char *only_if;	/* change only when the value found is this; NULL: always */
	char saved[32];		/* the value found, "madvise" for "always [madvise] never" */
	volatile sig_atomic_t changed;
};

/* Reads a knob's current value into value; 0 or -errno. */
int cg_knob_read(const char *path, char *value, size_t size);
/* 0 or -errno. */
int cg_knob_write(const char *path, const char *value);

/*
 * Sets every knob (in order) to its wanted value, remembering the old one.
 * On failure restores what was changed, describes the failure in why and
 * returns -1.
 */
int cg_knobs_apply(struct cg_knob *knobs, size_t n, char *why, size_t why_size);
/* Puts back every changed knob, last first; async-signal-safe. */
void cg_knobs_restore(struct cg_knob *knobs, size_t n);

/*
 * Until cg_knobs_unguard(): a fatal signal (SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
 * SIGILL, and SIGHUP/SIGINT/SIGTERM/SIGQUIT/SIGPIPE unless the program
 * handles those itself) restores the knobs and then kills the process as the
 * signal would have. Only one set of knobs is guarded at a time.
 */
void cg_knobs_guard_signals(struct cg_knob *knobs, size_t n, int handled_elsewhere_mask);
void cg_knobs_unguard(void);

/* Bits of handled_elsewhere_mask: the program's own handler stays. */
#define CG_GUARD_KEEP_TERM 1	/* SIGHUP, SIGINT, SIGTERM, SIGQUIT */
#define CG_GUARD_KEEP_PIPE 2	/* SIGPIPE */

#endif
