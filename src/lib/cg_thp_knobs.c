#define _GNU_SOURCE
#include "cg_thp_knobs.h"
#include "cg_util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every page of an extent may be a hole: the scenarios collapse holey extents. */
static char max_ptes_none[16];
static char scan_sleep[16] = "10";

struct cg_knob cg_khugepaged_knobs[] = {
	{ CG_KHUGEPAGED_DIR "/max_ptes_none", max_ptes_none, NULL, "", 0 },
	{ CG_KHUGEPAGED_DIR "/pages_to_scan", "4096", NULL, "", 0 },
	{ CG_KHUGEPAGED_DIR "/alloc_sleep_millisecs", "10", NULL, "", 0 },
	{ CG_KHUGEPAGED_DIR "/scan_sleep_millisecs", scan_sleep, NULL, "", 0 },
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

void cg_khugepaged_knobs_scan_sleep(int ms)
{
	format_into(scan_sleep, sizeof(scan_sleep), "%d", ms);
}

#define MAX_SMALL_SHMEM_KNOBS 16
struct cg_knob cg_small_shmem_knobs[MAX_SMALL_SHMEM_KNOBS];
static char small_shmem_paths[MAX_SMALL_SHMEM_KNOBS][160];

size_t cg_small_shmem_knobs_prepare(void)
{
	size_t n = 0;
	struct dirent *d;
	DIR *dir;

	cg_small_shmem_knobs[n++] = (struct cg_knob){
		.path = CG_THP_DIR "/shmem_enabled", .wanted = "advise",
		.only_if = "always,within_size,force,deny",
	};
	dir = opendir(CG_THP_DIR);
	if (!dir)
		return n;
	while ((d = readdir(dir)) && n < MAX_SMALL_SHMEM_KNOBS) {
		char *path = small_shmem_paths[n];

		if (strncmp(d->d_name, "hugepages-", 10))
			continue;
		format_into(path, sizeof(small_shmem_paths[n]), "%s/%s/shmem_enabled", CG_THP_DIR,
			    d->d_name);
		if (access(path, F_OK))
			continue;	/* no mTHP sizes for shmem on this kernel */
		cg_small_shmem_knobs[n++] = (struct cg_knob){
			.path = path, .wanted = "inherit", .only_if = "always,within_size",
		};
	}
	closedir(dir);
	return n;
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
