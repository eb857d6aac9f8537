/*
 * THP sysfs knobs for the khugepaged granularity run: set for the run,
 * restored afterwards, at exit and from the watchdog or a fatal signal
 * (restoring uses only async-signal-safe calls).
 */
#ifndef COLLAPSE_BENCH_KNOBS_H
#define COLLAPSE_BENCH_KNOBS_H

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define KHUGEPAGED_DIR THP_DIR "/khugepaged"

int knobs_apply(void);
void knobs_restore(void);

#endif
