/*
 * A race row: park a MADV_COLLAPSE (helper thread) at a window of
 * collapse_file(), run one racing action, release, judge the outcome.
 *
 * The table of rows lives in rows.c, the racing actions in actions.c, the
 * driver that runs one row in run.c and the checks of what a row leaves
 * behind in judge.c.
 */
#ifndef COLLAPSE_RACE_RACE_H
#define COLLAPSE_RACE_RACE_H

#include "cg_tap.h"
#include "meminfo.h"
#include "pager.h"
#include "util.h"
#include "worker.h"

#include <stdbool.h>
#include <stddef.h>

enum park_point {
	/*
	 * Series: present pages locked, isolated, unmapped and copied into
	 * the private huge page, holes still holes. Vanilla + the park
	 * facility: its window, every index holds the locked, not up to date
	 * huge page.
	 */
	POINT_COPIED,
	/* Series only: i_mmap_rwsem held for read, just before check+commit. */
	POINT_GUARDED,
};

/* What MADV_COLLAPSE must return. */
enum outcome {
	OUTCOME_REFUSED,		/* EBUSY: an armed VMA maps a hole */
	OUTCOME_GAVE_UP,		/* EAGAIN: a hole was filled meanwhile */
	OUTCOME_GAVE_UP_OR_REFUSED,	/* EAGAIN, or EBUSY if the guard saw it first */
	OUTCOME_COMMITTED,		/* 0 */
	OUTCOME_ANY,			/* the file was truncated away: any */
};

/* What one index of the extent must be once the collapse returned. */
enum index_state {
	INDEX_HOLE,		/* nothing cached: lseek hole, mincore not resident, faults to the pager */
	INDEX_POPULATED,	/* the pattern written before the collapse */
	INDEX_SERVED,		/* the pager's page (UFFDIO_COPY, pwrite, a served fault) */
	INDEX_ALLOCATED,	/* fallocated, never written: reads zeroes without an event */
	INDEX_ZEROED,		/* a former hole under a committed huge page */
};


#define ROW_PROBES_MAX 4

struct race_ctx;

struct race_row {
	const char *name;
	enum park_point point;
	const char *action;		/* the racing action, in words */
	enum outcome outcome;
	/* pages read through the armed mapping once the extent was checked */
	size_t probes[ROW_PROBES_MAX];
	size_t n_probes;
	void (*during)(struct race_ctx *ctx);	/* while parked */
	void (*after)(struct race_ctx *ctx);	/* released, collapse not joined */
};

/* The page cache as a thread saw it right after its registration returned. */
struct observation {
	bool wanted;			/* the row observes */
	bool made;
	int err;			/* lseek or mincore failed: -errno */
	long long at_ms;
	bool hole_lseek[EXTENT_PAGES_MAX];
	bool hole_mincore[EXTENT_PAGES_MAX];
};

struct race_ctx {
	const struct race_row *row;
	long timeout_ms;

	int fd;
	int uffd;			/* -1 once closed */
	char *cmap;			/* unarmed mapping: collapsed, and read to check */
	char *amap;			/* the mapping that gets armed */
	bool armed;			/* amap registered MISSING right now */

	enum index_state expect[EXTENT_PAGES_MAX];
	/* The page cache after the collapse returned, before any probe. */
	bool looked_after;
	bool hole_after[EXTENT_PAGES_MAX];
	bool resident_after[EXTENT_PAGES_MAX];

	struct shmem_usage mem_base;	/* before the memfd existed */
	struct shmem_usage mem_before;	/* just before the collapse */

	struct worker collapse;
	struct worker action;		/* the racing action, in its own thread */
	long long release_ms;
	struct monitor monitor;
	struct toucher window_toucher;	/* a fault started while parked */
	bool window_touch;
	struct toucher probe;		/* reads after the collapse returned */
	struct observation seen;

	bool skipped;
	char failures[2048];
	char facts[2048];
};

extern const struct race_row race_rows[];
extern const size_t race_rows_count;

const char *point_name(enum park_point point);
/* The point exists only with the series: a kernel may accept it and never park there. */
bool point_series_only(enum park_point point);
const char *outcome_text(enum outcome outcome);
const char *index_state_name(enum index_state state);

/* Failing and observing: both append to the row's detail. */
void row_fail(struct race_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void row_fact(struct race_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registers amap MISSING with the row's uffd; records a failure if it fails. */
bool row_register(struct race_ctx *ctx, const char *when);
/* Starts the pager (monitor thread) for the row's uffd if not running yet. */
bool row_monitor(struct race_ctx *ctx);
/* Waits for a toucher; one still blocked is woken by closing the uffd. */
bool toucher_settle(struct race_ctx *ctx, struct toucher *t);
/* Reads page `index` through the armed mapping in a thread, judged later. */
bool row_touch(struct race_ctx *ctx, struct toucher *t, size_t index);

/* judge.c: what the collapse left behind, checked once it returned. */
void judge_outcome(struct race_ctx *ctx, long madv);

struct race_result {
	const char *row;
	const char *point;
	const char *expected;
	enum cg_row_verdict verdict;	/* PASS, FAIL or SKIP */
	long elapsed_ms;
	char detail[4096];
};

/*
 * Runs one row (ctx must stay valid for the life of the process: a thread
 * given up on may still write into it). skip_why, when set, skips it.
 */
void run_row(const struct race_row *row, struct race_ctx *ctx, long timeout_ms,
	     const char *skip_why, struct race_result *result);

#endif
