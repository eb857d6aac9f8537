#define _GNU_SOURCE
#include "measure.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPS (1L << 26)

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *values, int n)
{
	double sorted[MAX_BATCHES];

	memcpy(sorted, values, (size_t)n * sizeof(*values));
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static int run_batch(const struct row *row, void *ctx, long reps, uint64_t *ns)
{
	*ns = 0;
	return row->run(ctx, reps, ns);
}

/*
 * Repeat count per batch: one warm-up operation, then double from 1 until a
 * batch of at least 8 takes an eighth of its share. The cost per operation is
 * the lowest seen on the way, so that one slow first run (a compaction, a
 * cold cache) does not shrink the batches to a single operation.
 */
static int calibrate(const struct row *row, void *ctx, double batch_s, long *reps)
{
	uint64_t goal = (uint64_t)(batch_s * 1e9), ns = 0;
	double per_op = 0;
	long n = 1;

	if (run_batch(row, ctx, 1, &ns))
		return -1;
	for (;;) {
		if (run_batch(row, ctx, n, &ns))
			return -1;
		if (ns > 0 && (per_op == 0 || (double)ns / (double)n < per_op))
			per_op = (double)ns / (double)n;
		if ((ns >= goal / 8 && n >= 8) || n >= MAX_REPS)
			break;
		n *= 2;
	}
	if (per_op <= 0)
		per_op = 1;
	*reps = (long)((double)goal / per_op);
	if (*reps < 1)
		*reps = 1;
	if (*reps > MAX_REPS)
		*reps = MAX_REPS;
	return 0;
}

void measure_row(const struct row *row, const struct measure_opts *opts,
		 struct measurement *m)
{
	uint64_t start = now_ns(), ns;
	void *ctx = NULL;
	int batches = opts->batches;

	memset(m, 0, sizeof(*m));
	if (batches < 1)
		batches = 1;
	if (batches > MAX_BATCHES)
		batches = MAX_BATCHES;
	fail_reason[0] = '\0';
	if (row->setup(&ctx))
		goto failed;
	note("%s: calibrating", row->name);
	if (calibrate(row, ctx, opts->row_seconds / batches, &m->reps))
		goto failed_torn;
	note("%s: %d batches of %ld", row->name, batches, m->reps);
	for (int b = 0; b < batches; b++) {
		if (run_batch(row, ctx, m->reps, &ns))
			goto failed_torn;
		m->batch_ns[b] = (double)ns / (double)m->reps;
	}
	row->teardown(ctx);
	m->batches = batches;
	m->median_ns = median(m->batch_ns, batches);
	m->min_ns = m->max_ns = m->batch_ns[0];
	for (int b = 1; b < batches; b++) {
		if (m->batch_ns[b] < m->min_ns)
			m->min_ns = m->batch_ns[b];
		if (m->batch_ns[b] > m->max_ns)
			m->max_ns = m->batch_ns[b];
	}
	m->ok = true;
	m->wall_s = (double)(now_ns() - start) / 1e9;
	return;

failed_torn:
	row->teardown(ctx);
failed:
	snprintf(m->error, sizeof(m->error), "%s", fail_reason[0] ? fail_reason : "failed");
	m->wall_s = (double)(now_ns() - start) / 1e9;
}
