/* The shmem counters of /proc/meminfo, folded first so that they are exact. */
#ifndef COLLAPSE_RACE_MEMINFO_H
#define COLLAPSE_RACE_MEMINFO_H

#include <stdbool.h>

struct shmem_usage {
	long shmem_kb;		/* Shmem */
	long huge_kb;		/* ShmemHugePages */
};

/* Writes /proc/sys/vm/stat_refresh (when possible), then reads: 0 or -errno. */
int meminfo_read(struct shmem_usage *usage);

/* A field of `expected` set to this is not compared. */
#define MEMINFO_ANY (-1L)

/*
 * Re-reads until the counters equal `expected` or timeout_ms passed (the
 * per-CPU deltas are folded once a second even without stat_refresh).
 * Leaves the last reading in *now.
 */
bool meminfo_settle(const struct shmem_usage *expected, long timeout_ms,
		    struct shmem_usage *now);

#endif
