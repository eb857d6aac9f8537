/*
 * Runs a row: calibrates the repeat count so that the row takes about the
 * requested time, then times several batches; the figure is the median of
 * the batches' ns/op.
 */
#ifndef COLLAPSE_BENCH_MEASURE_H
#define COLLAPSE_BENCH_MEASURE_H

#include "rows.h"

#include <stdbool.h>

#define MAX_BATCHES 31

struct measure_opts {
	double row_seconds;	/* timed time per row, all batches together */
	int batches;
};

struct measurement {
	bool ok;
	char error[256];
	long reps;		/* per batch */
	int batches;
	double batch_ns[MAX_BATCHES];	/* ns/op of each batch */
	double median_ns, min_ns, max_ns;
	double wall_s;		/* the whole row, set-up and calibration included */
};

void measure_row(const struct row *row, const struct measure_opts *opts,
		 struct measurement *m);

#endif
