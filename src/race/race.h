/*
 * A race row: park a MADV_COLLAPSE (helper thread) at a window of
 * collapse_file(), run one racing action, release, assert the invariant.
 *
 * The table of rows lives in rows.c, the driver that runs one row and
 * checks its expectation in run.c.
 */
#ifndef COLLAPSE_RACE_RACE_H
#define COLLAPSE_RACE_RACE_H

#include "meminfo.h"
#include "pager.h"
#include "util.h"
#include "worker.h"

#include <stdbool.h>
#include <stddef.h>

enum park_point { POINT_FILLED, POINT_CHECKED };

enum expectation {
	/* EBUSY; rollback complete; holes still holes; touches through the
	 * armed mapping raise events and read the pager's page. */
	EXPECT_REFUSED,
	/* madvise 0; no hole left; populated data kept, holes now zeroes. */
	EXPECT_COMMITTED,
	/* committed, and the (late) armed mapping reads the data with no
	 * event: there was no hole left to observe. */
	EXPECT_COMMITTED_QUIET,
	/* whatever the collapse decided: the racing action completes and
	 * nothing leaks once everything is closed. */
	EXPECT_NO_LEAK,
};

enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_SKIP };

#define ROW_TOUCHES_MAX 4

struct race_ctx;

struct race_row {
	const char *name;
	enum park_point point;
	const char *action;		/* the racing action, in words */
	enum expectation expect;
	/* pages read through the armed mapping after the collapse returned */
	size_t touches[ROW_TOUCHES_MAX];
	size_t n_touches;
	void (*during)(struct race_ctx *ctx);	/* while parked */
	void (*after)(struct race_ctx *ctx);	/* released, collapse not joined */
};

struct race_ctx {
	const struct race_row *row;
	long timeout_ms;

	int fd;
	int uffd;			/* -1 once closed */
	char *cmap;			/* unarmed mapping: collapsed, and read to check */
	char *amap;			/* the mapping that gets armed */
	bool armed;			/* amap registered MISSING right now */
	bool truncated;			/* the file was truncated to 0 */

	/* What a refused collapse must leave behind */
	bool expect_hole[EXTENT_PAGES_MAX];
	bool populated[EXTENT_PAGES_MAX];
	long long blocks_before;
	long long blocks_expected;

	struct shmem_usage mem_base;	/* before the memfd existed */
	struct shmem_usage mem_before;	/* just before the collapse */

	struct worker collapse;
	struct worker action;		/* a racing action that may block */
	long long release_ms;
	struct monitor monitor;
	struct toucher window_toucher;	/* started while parked */
	bool window_touch;
	struct toucher probe;		/* touches after the collapse returned */

	bool skipped;
	char failures[1024];
	char facts[1024];
};

extern const struct race_row race_rows[];
extern const size_t race_rows_count;

const char *point_name(enum park_point point);
const char *expectation_text(enum expectation expect);

/* Failing and observing: both append to the row's detail. */
void row_fail(struct race_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void row_fact(struct race_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registers amap MISSING with the row's uffd; records a failure if it fails. */
bool row_register(struct race_ctx *ctx, const char *when);
/*
 * Starts the monitor for the row's uffd if it is not running yet; a held
 * one serves nothing until the collapse returned and the extent was checked.
 */
bool row_monitor(struct race_ctx *ctx, bool hold);

struct race_result {
	const char *row;
	const char *point;
	const char *expected;
	enum verdict verdict;
	long elapsed_ms;
	char detail[1536];
};

/*
 * Runs one row (ctx must stay valid for the life of the process: a thread
 * given up on may still write into it). skip_why, when set, skips it.
 */
void run_row(const struct race_row *row, struct race_ctx *ctx, long timeout_ms,
	     const char *skip_why, struct race_result *result);

#endif
