/* Output of the results: readable table, kselftest-style TAP 13, JSON. */
#ifndef COLLAPSE_CHECK_REPORT_H
#define COLLAPSE_CHECK_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "result.h"

struct report {
	const char *kernel;
	long timeout_ms;
	const char *const *path_names;	/* the columns */
	size_t n_paths;
	const struct result *results;	/* row-major: results[row * n_paths + column] */
	size_t n_rows;
};

void report_table(FILE *out, const struct report *report);
void report_tap(FILE *out, const struct report *report);
void report_json(FILE *out, const struct report *report);

#endif
