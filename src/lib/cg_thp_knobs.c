#define _GNU_SOURCE
#include "cg_thp_knobs.h"
#include "cg_util.h"

#include <stdlib.h>
#include <unistd.h>

/* Every page of an extent may be a hole: the scenarios collapse holey extents. */
static char max_ptes_none[16];

struct cg_knob cg_khugepaged_knobs[] = {
	{ CG_KHUGEPAGED_DIR "/max_ptes_none", max_ptes_none, NULL, "", 0 },
	{ CG_KHUGEPAGED_DIR "/pages_to_scan", "4096", NULL, "", 0 },
	{ CG_KHUGEPAGED_DIR "/alloc_sleep_millisecs", "10", NULL, "", 0 },
	{ CG_KHUGEPAGED_DIR "/scan_sleep_millisecs", "10", NULL, "", 0 },
	/* 6.1 stops khugepaged altogether while anon THP is "never". */
	{ CG_THP_DIR "/enabled", "madvise", "never", "", 0 },
	{ CG_THP_DIR "/shmem_enabled", "advise", NULL, "", 0 },
};
const size_t cg_n_khugepaged_knobs = sizeof(cg_khugepaged_knobs) / sizeof(cg_khugepaged_knobs[0]);

void cg_khugepaged_knobs_prepare(void)
{
	format_into(max_ptes_none, sizeof(max_ptes_none), "%lu",
		    CG_EXTENT_SIZE / (unsigned long)sysconf(_SC_PAGESIZE) - 1);
}

long cg_sysfs_long(const char *path)
{
	char value[32], *end;
	long number;

	if (cg_knob_read(path, value, sizeof(value)))
		return -1;
	number = strtol(value, &end, 10);
	return *end || end == value ? -1 : number;
}
