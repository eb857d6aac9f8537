/*
 * The record of the THP knobs' saved values under /run: written before a
 * knob changes and removed once they are back, so a run that dies without
 * restoring (SIGKILL, power cut of a VM) leaves it behind and the next run
 * puts the values back. One line a knob, "PATH VALUE", after a "# ..." line
 * that names the program and its pid.
 */
#ifndef CG_KNOB_RECORD_H
#define CG_KNOB_RECORD_H

#include <stddef.h>

#include "cg_knobs.h"

#define CG_RUN_DIR      "/run/collapse-guard"
#define CG_KNOB_RECORD  CG_RUN_DIR "/knobs"

/* Creates CG_RUN_DIR (and /run, missing in a bare initramfs); 0 or -errno. */
int cg_run_dir_make(void);

/* Records the saved value of every knob that needs a change; 0 or -errno. */
int cg_knob_record_write(const struct cg_knob *knobs, size_t n);

/*
 * When a record is there, writes its values back, says on stderr what it
 * put back and removes it. 0 (nothing there, or done), or -1 with why.
 */
int cg_knob_record_recover(char *why, size_t why_size);

/* Async-signal-safe. */
void cg_knob_record_remove(void);

#endif
