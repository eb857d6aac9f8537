/*
 * The state of one run of a scenario's script (steps.c), shared with its
 * checks (checks.c). Private to those two files.
 */
#ifndef COLLAPSE_CHECK_RUN_H
#define COLLAPSE_CHECK_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "forked.h"
#include "memory.h"
#include "paths.h"
#include "remote_armer.h"
#include "result.h"
#include "scenarios.h"

/* A mapping of this process: [offset, offset + len) of the file at base. */
struct slot {
	char *base;		/* NULL when not mapped */
	off_t offset;
	size_t len;
	bool busy;		/* a stuck reader still uses it: never unmap */
};

struct lrun {
	const struct scenario *sc;
	enum memory_type memory;
	const struct collapse_path *path;
	long timeout_ms;
	int fd;
	size_t file_size;
	char file_how[112];
	char *other;		/* the whole file, never armed: collapses go through it */
	struct slot slot[2];	/* SLOT_A, SLOT_B */
	size_t split_len;	/* the read-only part after STEP_SPLIT */
	int uffd;
	struct forked_child child;
	int child_uffd;		/* from UFFD_EVENT_FORK */
	struct slot child_map;	/* slot A as the forked child has it */
	struct remote_armer remote;
	char why[256];
};

/* The address of file offset `offset` in the slot, or NULL when it maps no such byte. */
char *slot_address(const struct slot *slot, off_t offset);

/* The checks: fill sr. check_safe returns false when the row cannot go on. */
void check_control(struct lrun *run, const struct step *step, struct step_result *sr);
bool check_safe(struct lrun *run, const struct step *step, struct step_result *sr);

#endif
