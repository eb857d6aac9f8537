/*
 * The ways a shmem extent gets collapsed (the report's columns), as a small
 * ops table: set up once per column, then per scenario prepare, trigger and
 * wait for the outcome.
 */
#ifndef COLLAPSE_CHECK_PATHS_H
#define COLLAPSE_CHECK_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "memfd_map.h"

struct collapse_job {
	/* input */
	char *addr;		/* target extent in the collapsing mapping */
	int memfd;
	off_t file_offset;	/* of the target extent */
	const char *reader;	/* target extent in a non-armed mapping, or NULL */
	enum cg_fill pattern;
	long timeout_ms;

	/* outcome */
	bool madv_called;
	int madv_ret;
	int madv_errno;
	bool collapsed;
	bool inconclusive;	/* khugepaged never looked within the timeout */
	long holes_after;
	enum thp_state thp;
	char thp_how[96];
	char info[48];
	char detail[192];
};

struct collapse_path {
	const char *name;
	const char *alias;
	const char *description;
	/* 0 when usable, else fills why: the whole column is SKIP. */
	int (*column_begin)(char *why, size_t why_size);
	void (*column_end)(void);
	/* After arming, before trigger. Non-zero: ERROR with why. */
	int (*prepare)(struct collapse_job *job, char *why, size_t why_size);
	void (*trigger)(struct collapse_job *job);
	void (*wait)(struct collapse_job *job);
};

extern const struct collapse_path collapse_paths[];
extern const size_t n_collapse_paths;

const struct collapse_path *collapse_path_find(const char *name);

/* Look at the target extent now and update holes_after/thp/collapsed. */
void collapse_job_observe(struct collapse_job *job);

#endif
