/* The results: a table on stdout, and JSON for scripts/bench.sh. */
#ifndef COLLAPSE_BENCH_REPORT_H
#define COLLAPSE_BENCH_REPORT_H

#include "granularity.h"
#include "measure.h"
#include "rows.h"

#include <stdio.h>

struct row_result {
	const struct row *row;
	struct measurement m;
};

struct report {
	char kernel[128];
	const struct measure_opts *opts;
	struct row_result *rows;
	size_t n_rows;
	struct gran_result gran[2];
	size_t n_gran;
	double total_s;
};

void report_table_header(const struct report *r, FILE *out);
void report_table_row(const struct row_result *rr, FILE *out);
void report_granularity(const struct report *r, FILE *out);
int report_json(const struct report *r, FILE *out);

#endif
