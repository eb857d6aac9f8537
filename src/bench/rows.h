/*
 * The timed rows. A row sets up what it needs once, then runs its operation
 * `reps` times per call of run(), adding to *timed_ns the time of the
 * operations themselves: a row whose iterations need untimed preparation
 * (re-creating holes, zapping page tables) times each operation, or each
 * sweep of them, and leaves the preparation out.
 */
#ifndef COLLAPSE_BENCH_ROWS_H
#define COLLAPSE_BENCH_ROWS_H

#include <stddef.h>
#include <stdint.h>

/*
 * What the guard adds to a path, which sets the target of the ratio
 * patched/vanilla (scripts/bench.sh compares); a row may set a stricter
 * target of its own (struct row's target).
 */
enum row_class {
	CLASS_PLAIN,	/* nothing the guard looks at is armed: <= 1.01 */
	CLASS_ARMED,	/* the guard's bookkeeping or walk runs: <= 1.03 */
	CLASS_FAULT,	/* fault paths, untouched by the series: <= 1.01 */
};

struct row {
	const char *name;
	const char *what;
	enum row_class class;
	int (*setup)(void **ctx);
	int (*run)(void *ctx, long reps, uint64_t *timed_ns);
	void (*teardown)(void *ctx);
	double target;		/* 0: the class's target (row_target()) */
};

extern const struct row collapse_rows[];
extern const size_t n_collapse_rows;
extern const struct row vma_rows[];
extern const size_t n_vma_rows;
extern const struct row fault_rows[];
extern const size_t n_fault_rows;

double row_class_target(enum row_class class);
double row_target(const struct row *row);
const char *row_class_name(enum row_class class);

#endif
