/*
 * sysfs/debugfs knobs changed for a run: each one's first value is saved
 * and written back by knobs_restore(), at the end, on signals and by the
 * watchdog. knobs_restore() is async-signal-safe.
 */
#ifndef STRESS_KNOBS_H
#define STRESS_KNOBS_H

/* Writes value to path, saving the value found there first; 0 or -errno. */
int knob_set(const char *path, const char *value);
void knobs_restore(void);

/* khugepaged at its fastest for shmem; 0 or -errno (why in the log). */
int thp_knobs_apply(int scan_sleep_ms);

/*
 * Writes to a memfd allocate small pages, and MADV_COLLAPSE of shmem is
 * allowed: shmem_enabled "advise" unless it is "advise" or "never" already,
 * per-size shmem_enabled (mTHP, 6.8 and later) "inherit" where it is
 * "always" or "within_size". khugepaged is left alone. 0 or -errno.
 */
int thp_knobs_small_shmem_writes(void);

#endif
