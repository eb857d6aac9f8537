/*
 * The scenarios (the report's rows): each one a designated-initializer row
 * whose script of steps the one interpreter (steps.c) runs, for each memory
 * type (memory.h) and each collapse path (paths.h).
 */
#ifndef COLLAPSE_CHECK_SCENARIOS_H
#define COLLAPSE_CHECK_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memfd_map.h"
#include "memory.h"
#include "result.h"

/*
 * A script is a list of actions on armed mappings and checks, ended by
 * STEP_END. Each check collapses one extent of the file, through a mapping
 * that is never armed unless the step says `via_armed`; a script uses an
 * extent in one check only, so an earlier check cannot spoil a later one.
 */
enum step_op {
	STEP_END,
	STEP_ARM,		/* map slot (`extent`, `n_extents`), register it with `mode` */
	STEP_REGISTER,		/* register the mapped slot (again) with `mode` */
	STEP_UNREGISTER,	/* UFFDIO_UNREGISTER the slot's whole range */
	STEP_CLOSE_UFFD,	/* close the userfaultfd of this process */
	STEP_SPLIT,		/* mprotect the first `n_extents` extents of the slot read-only */
	STEP_MERGE,		/* restore read-write: the parts merge back */
	STEP_MREMAP,		/* move the slot to a new aligned address (MAYMOVE|FIXED) */
	STEP_FORK,		/* fork(); with EVENT_FORK the child's copy is armed */
	STEP_CHILD_EXIT,	/* the forked child exits */
	STEP_MUNMAP,		/* munmap the slot */
	STEP_REMOTE_ARM,	/* a child maps the whole file and arms it with its own uffd */
	STEP_REMOTE_EXIT,	/* that child exits */
	STEP_SAFE,		/* check: the slot's hole in `extent` survives a collapse */
	STEP_CONTROL,		/* check: `extent` collapses */
};

enum step_slot {
	SLOT_A,			/* mappings of this process */
	SLOT_B,
	SLOT_CHILD,		/* slot A's copy in the forked child */
	SLOT_REMOTE,		/* the remote armer's own mapping */
};

struct step {
	enum step_op op;
	enum step_slot slot;
	unsigned extent;	/* checks: the one collapsed; STEP_ARM: the first mapped */
	unsigned n_extents;	/* STEP_ARM: extents mapped, 0 = the whole file; STEP_SPLIT */
	uint64_t mode;		/* UFFDIO_REGISTER_MODE_* */
	bool via_armed;		/* checks: collapse through the slot's own mapping */
	const char *label;	/* checks: what the report calls the step */
};

struct scenario {
	const char *name;
	enum scenario_kind kind;
	const char *description;
	unsigned n_extents;		/* file size in 2 MiB extents */
	enum cg_fill pattern;	/* of every extent: CG_FILL_EVEN_PAGES (0) by default */
	uint64_t features;		/* UFFDIO_API features of the row's uffd */
	unsigned memory_types;		/* MEMORY_BIT()s the row runs on; 0 = every type */
	const struct step *steps;	/* ended by STEP_END */
};

extern const struct scenario scenarios[];
extern const size_t n_scenarios;

/* Also the probe telling whether a path collapses a memory type at all. */
#define NO_UFFD_SCENARIO "no-uffd"

const struct scenario *scenario_find(const char *name);
bool scenario_runs_on(const struct scenario *scenario, enum memory_type memory);

#endif
