/* Text and JSON reports. */
#ifndef STRESS_REPORT_H
#define STRESS_REPORT_H

#include "cli.h"

#include <stdio.h>

/* Counters read before and after a stress run, from /proc and sysfs. */
struct kstats {
	long thp_collapse_alloc;
	long thp_collapse_alloc_failed;
	long thp_file_alloc;
	long khugepaged_pages_collapsed;
	long khugepaged_full_scans;
};

void kstats_read(struct kstats *k);

struct stress_summary {
	const struct options *o;
	struct kstats before, after;
	int khugepaged_tuned;
	int stuck;
	long long elapsed_ms;
	const char *result;
};

void report_stress(const struct stress_summary *s);

/* Delivers a finished JSON line to stdout (--json) and/or --json-out. */
void emit_json(const struct options *o, const char *line);
/* The running kernel's release, for reports. */

#endif
