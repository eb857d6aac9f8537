/* Output: a readable table, kselftest TAP (streamed), and the JSON report. */
#ifndef COLLAPSE_RACE_REPORT_H
#define COLLAPSE_RACE_REPORT_H

#include "race.h"
#include "cg_tap.h"

#include <stdio.h>

struct kernel_id {
	char release[65];
	char version[65];
};

void kernel_identify(struct kernel_id *kernel);

void report_tap_begin(struct cg_tap *tap, FILE *out, const struct kernel_id *kernel, size_t rows);
void report_tap_result(struct cg_tap *tap, const struct race_result *result);
void report_tap_end(struct cg_tap *tap, const struct race_result *results, size_t n);

void report_table(FILE *out, const struct kernel_id *kernel,
		  const struct race_result *results, size_t n);

/* 0, or -1 with why set. */
int report_json(const char *path, const struct kernel_id *kernel,
		const struct race_result *results, size_t n, char *why, size_t why_size);

#endif
