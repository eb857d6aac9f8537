/*
 * THP / khugepaged sysfs knobs: the khugepaged column changes a few of
 * them for its run; every change is undone at the end of the column, at
 * exit and from the fatal-signal handler (restoring is async-signal-safe).
 */
#ifndef COLLAPSE_CHECK_THP_KNOBS_H
#define COLLAPSE_CHECK_THP_KNOBS_H

#include <stddef.h>

#define THP_SYSFS_DIR        "/sys/kernel/mm/transparent_hugepage"
#define KHUGEPAGED_SYSFS_DIR THP_SYSFS_DIR "/khugepaged"

int thp_knobs_apply_for_khugepaged(char *why, size_t why_size);
void thp_knobs_restore(void);

/* -1 when unreadable. */
long read_sysfs_long(const char *path);

#endif
