/* The scenarios (the report's rows) and the runner shared by all of them. */
#ifndef COLLAPSE_CHECK_SCENARIOS_H
#define COLLAPSE_CHECK_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memfd_map.h"
#include "paths.h"
#include "result.h"

enum armer {
	ARMED_NOWHERE,
	ARMED_HERE,		/* a second mapping in this process */
	ARMED_IN_CHILD,		/* a mapping in another process (mm) */
};

enum uffd_fate { UFFD_KEPT, UFFD_UNREGISTERED, UFFD_CLOSED };

enum collapse_via { VIA_OTHER_MAPPING, VIA_ARMED_MAPPING };

enum file_kind { FILE_MEMFD, FILE_TMPFS };

/*
 * Multi-step rows (VMA lifecycle): a script of actions on armed mappings and
 * checks. Every mapping maps the whole file; every check collapses its own
 * fresh extent through a mapping that is never armed, so an earlier check
 * cannot spoil a later one. See steps.c.
 */
enum step_op {
	STEP_END,
	STEP_ARM,		/* map slot, register it with `mode` */
	STEP_REGISTER,		/* register the mapped slot (again) with `mode` */
	STEP_UNREGISTER,	/* UFFDIO_UNREGISTER the slot's whole range */
	STEP_SPLIT,		/* mprotect the first `extent` extents of the slot read-only */
	STEP_MERGE,		/* restore read-write: the parts merge back */
	STEP_MREMAP,		/* move the slot to a new aligned address (MAYMOVE|FIXED) */
	STEP_FORK,		/* fork(); with EVENT_FORK the child's copy is armed */
	STEP_CHILD_EXIT,	/* the forked child exits */
	STEP_MUNMAP,		/* munmap the slot */
	STEP_REMOTE_ARM,	/* a child maps the file and arms it with its own uffd */
	STEP_REMOTE_EXIT,	/* that child exits */
	STEP_SAFE,		/* check: the slot's hole in `extent` survives a collapse */
	STEP_CONTROL,		/* check: `extent` collapses */
	STEP_PROBE,		/* STEP_CONTROL that must pass, else the row is SKIP */
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
	unsigned extent;
	uint64_t mode;		/* UFFDIO_REGISTER_MODE_* */
	const char *label;	/* checks: what the report calls the step */
};

struct scenario {
	const char *name;
	enum scenario_kind kind;
	const char *description;
	unsigned n_extents;		/* memfd size in 2 MiB extents */
	unsigned armed_extent;		/* the armed mapping maps exactly this one */
	unsigned target_extent;		/* the one collapsed */
	enum cg_fill pattern;
	enum armer armer;
	enum uffd_fate fate;
	enum collapse_via via;
	/* Multi-step rows: non-NULL steps, ended by STEP_END. */
	enum file_kind file;
	uint64_t features;	/* UFFDIO_API features of the row's uffd */
	const struct step *steps;
};

extern const struct scenario scenarios[];
extern const size_t n_scenarios;

/* Also the probe telling whether a path collapses at all. */
#define NO_UFFD_SCENARIO "no-uffd"

const struct scenario *scenario_find(const char *name);

struct touch_result;
/* Verdict of a safety check from the hole and the touch test. */
enum verdict safety_verdict(bool hole_kept, const struct touch_result *touch);
void describe_touch(char *buf, size_t size, const struct touch_result *touch);

void scenario_run(const struct scenario *scenario, const struct collapse_path *path,
		  long timeout_ms, struct result *result);

#endif
