#define _GNU_SOURCE
#include "scenarios.h"
#include "uffd.h"

#include <string.h>

#define MISSING UFFDIO_REGISTER_MODE_MISSING
#define WP      UFFDIO_REGISTER_MODE_WP
#define MINOR   UFFDIO_REGISTER_MODE_MINOR

/* The step vocabulary (scenarios.h); a script ends with END, added by SCRIPT. */
#define ARM(s, m)               { .op = STEP_ARM, .slot = (s), .mode = (m) }
#define ARM_EXTENT(s, e, m)     { .op = STEP_ARM, .slot = (s), .extent = (e), .n_extents = 1, \
				  .mode = (m) }
#define REGISTER(s, m)          { .op = STEP_REGISTER, .slot = (s), .mode = (m) }
#define UNREGISTER(s)           { .op = STEP_UNREGISTER, .slot = (s) }
#define CLOSE_UFFD()            { .op = STEP_CLOSE_UFFD }
#define SPLIT(n)                { .op = STEP_SPLIT, .n_extents = (n) }
#define MERGE()                 { .op = STEP_MERGE }
#define MREMAP()                { .op = STEP_MREMAP }
#define FORK()                  { .op = STEP_FORK }
#define CHILD_EXIT()            { .op = STEP_CHILD_EXIT, .slot = SLOT_CHILD }
#define MUNMAP(s)               { .op = STEP_MUNMAP, .slot = (s) }
#define REMOTE_ARM()            { .op = STEP_REMOTE_ARM, .slot = SLOT_REMOTE, .mode = MISSING }
#define REMOTE_EXIT()           { .op = STEP_REMOTE_EXIT, .slot = SLOT_REMOTE }
#define SAFE(s, e, l)           { .op = STEP_SAFE, .slot = (s), .extent = (e), .label = (l) }
#define SAFE_VIA_ARMED(s, e, l) { .op = STEP_SAFE, .slot = (s), .extent = (e), .via_armed = true, \
				  .label = (l) }
#define CONTROL(e, l)           { .op = STEP_CONTROL, .extent = (e), .label = (l) }
#define SCRIPT(...)             ((const struct step[]){ __VA_ARGS__, { .op = STEP_END } })

/*
 * Every file is filled with CG_FILL_EVEN_PAGES (odd pages stay holes) unless the
 * row says otherwise; a safety check reads page TOUCHED_HOLE_PAGE of its
 * extent through the armed mapping. Lifecycle rows: docs/lifecycle.md.
 */
const struct scenario scenarios[] = {
	{
		.name = "other-vma", .kind = KIND_SAFETY, .n_extents = 1,
		.description = "file mapped twice, one mapping armed MISSING, collapse via "
			       "the other",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				SAFE(SLOT_A, 0, "armed, via the other")),
	},
	{
		.name = "same-vma", .kind = KIND_SAFETY, .n_extents = 1,
		.description = "collapse through the armed mapping itself",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				SAFE_VIA_ARMED(SLOT_A, 0, "armed, via itself")),
	},
	{
		.name = "other-process", .kind = KIND_SAFETY, .n_extents = 1,
		.description = "armed in a child process (own mm), the parent collapses via "
			       "its mapping",
		.steps = SCRIPT(REMOTE_ARM(),
				SAFE(SLOT_REMOTE, 0, "armed in a child")),
	},
	{
		.name = "below-armed", .kind = KIND_CONTROL, .n_extents = 3,
		.description = "3-extent file, extent 1 armed, collapse extent 0 via another "
			       "mapping",
		.steps = SCRIPT(ARM_EXTENT(SLOT_A, 1, MISSING),
				CONTROL(0, "below the armed extent")),
	},
	{
		.name = "above-armed", .kind = KIND_CONTROL, .n_extents = 3,
		.description = "3-extent file, extent 1 armed, collapse extent 2 via another "
			       "mapping",
		.steps = SCRIPT(ARM_EXTENT(SLOT_A, 1, MISSING),
				CONTROL(2, "above the armed extent")),
	},
	{
		.name = "populated-armed", .kind = KIND_CONTROL, .n_extents = 1,
		.pattern = CG_FILL_ALL_PAGES,
		.description = "fully populated extent (no hole) armed, collapse via the "
			       "other mapping",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				CONTROL(0, "armed, no hole")),
	},
	{
		.name = "after-unregister", .kind = KIND_CONTROL, .n_extents = 1,
		.description = "armed then UFFDIO_UNREGISTER before the collapse",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				UNREGISTER(SLOT_A),
				CONTROL(0, "unregistered")),
	},
	{
		.name = "after-close", .kind = KIND_CONTROL, .n_extents = 1,
		.description = "armed then the userfaultfd closed before the collapse",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				CLOSE_UFFD(),
				CONTROL(0, "uffd closed")),
	},
	{
		.name = NO_UFFD_SCENARIO, .kind = KIND_CONTROL, .n_extents = 1,
		.description = "no userfaultfd at all: the path collapses a holey extent",
		.steps = SCRIPT(CONTROL(0, "nothing armed")),
	},
	{
		.name = "split-merge", .kind = KIND_LIFECYCLE, .n_extents = 5,
		.description = "armed VMA split by mprotect, merged back, unregistered: safe in "
			       "both parts and after the merge, collapses after",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				SPLIT(2),
				SAFE(SLOT_A, 0, "split, read-only part"),
				SAFE(SLOT_A, 2, "split, read-write part"),
				MERGE(),
				SAFE(SLOT_A, 1, "merged, was read-only"),
				SAFE(SLOT_A, 3, "merged, was read-write"),
				UNREGISTER(SLOT_A),
				CONTROL(4, "unregistered")),
	},
	{
		.name = "mremap-event", .kind = KIND_LIFECYCLE, .n_extents = 3,
		.features = UFFD_FEATURE_EVENT_REMAP,
		.description = "armed VMA moved by mremap with EVENT_REMAP: still armed at the "
			       "new address, collapses after unregister",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				SAFE(SLOT_A, 0, "before the move"),
				MREMAP(),
				SAFE(SLOT_A, 1, "moved, still armed"),
				UNREGISTER(SLOT_A),
				CONTROL(2, "unregistered")),
	},
	{
		.name = "mremap-noevent", .kind = KIND_LIFECYCLE, .n_extents = 4,
		.description = "armed VMA moved by mremap without EVENT_REMAP: the move drops "
			       "the uffd, collapses; re-armed: safe again",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				SAFE(SLOT_A, 0, "before the move"),
				MREMAP(),
				CONTROL(1, "moved, uffd dropped"),
				REGISTER(SLOT_A, MISSING),
				SAFE(SLOT_A, 2, "moved mapping re-armed"),
				UNREGISTER(SLOT_A),
				CONTROL(3, "unregistered")),
	},
	{
		.name = "fork-noevent", .kind = KIND_LIFECYCLE, .n_extents = 4,
		.description = "fork without EVENT_FORK (child not armed): parent safe, child "
			       "exit; parent unregistered: collapses",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				FORK(),
				SAFE(SLOT_A, 0, "forked, parent's"),
				CHILD_EXIT(),
				SAFE(SLOT_A, 1, "child exited, parent's"),
				FORK(),
				UNREGISTER(SLOT_A),
				CONTROL(2, "parent unregistered, child lives"),
				CHILD_EXIT(),
				CONTROL(3, "child exited")),
	},
	{
		.name = "fork-event-unreg", .kind = KIND_LIFECYCLE, .n_extents = 5,
		.features = UFFD_FEATURE_EVENT_FORK,
		.description = "fork with EVENT_FORK (child armed): both safe; parent "
			       "unregisters: child safe; child unregistered: collapses",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				FORK(),
				SAFE(SLOT_A, 0, "forked, parent's"),
				SAFE(SLOT_CHILD, 1, "forked, child's"),
				UNREGISTER(SLOT_A),
				SAFE(SLOT_CHILD, 2, "parent unregistered, child's"),
				UNREGISTER(SLOT_CHILD),
				CONTROL(3, "both unregistered"),
				CHILD_EXIT(),
				CONTROL(4, "child exited")),
	},
	{
		.name = "fork-event-exit", .kind = KIND_LIFECYCLE, .n_extents = 3,
		.features = UFFD_FEATURE_EVENT_FORK,
		.description = "fork with EVENT_FORK: armed child exits, parent still safe; "
			       "parent unregisters: collapses",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				FORK(),
				SAFE(SLOT_CHILD, 0, "forked, child's"),
				CHILD_EXIT(),
				SAFE(SLOT_A, 1, "armed child exited, parent's"),
				UNREGISTER(SLOT_A),
				CONTROL(2, "parent unregistered")),
	},
	{
		.name = "munmap-one", .kind = KIND_LIFECYCLE, .n_extents = 3,
		.description = "two armed VMAs of one file, one unmapped: still safe; the other "
			       "unregistered: collapses",
		.steps = SCRIPT(ARM(SLOT_A, MISSING),
				ARM(SLOT_B, MISSING),
				SAFE(SLOT_A, 0, "two armed"),
				MUNMAP(SLOT_A),
				SAFE(SLOT_B, 1, "one unmapped, other's"),
				UNREGISTER(SLOT_B),
				CONTROL(2, "other unregistered")),
	},
	{
		.name = "child-exit", .kind = KIND_LIFECYCLE, .n_extents = 2,
		.description = "armed in a child process (own uffd): safe; the child exits: "
			       "collapses",
		.steps = SCRIPT(REMOTE_ARM(),
				SAFE(SLOT_REMOTE, 0, "child armed"),
				REMOTE_EXIT(),
				CONTROL(1, "armed child exited")),
	},
	{
		.name = "wp-switch", .kind = KIND_LIFECYCLE, .n_extents = 4,
		.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
		.description = "MISSING|WP safe; re-registered WP only: collapses; MISSING|WP "
			       "again: safe; unregistered: collapses",
		.steps = SCRIPT(ARM(SLOT_A, MISSING | WP),
				SAFE(SLOT_A, 0, "MISSING|WP"),
				UNREGISTER(SLOT_A),
				REGISTER(SLOT_A, WP),
				CONTROL(1, "WP only"),
				REGISTER(SLOT_A, MISSING | WP),
				SAFE(SLOT_A, 2, "MISSING added back"),
				UNREGISTER(SLOT_A),
				CONTROL(3, "unregistered")),
	},
	{
		.name = "minor-only", .kind = KIND_CONTROL, .n_extents = 1,
		.features = UFFD_FEATURE_MINOR_SHMEM,
		.description = "registered MINOR only (MINOR_SHMEM): does not block collapse",
		.steps = SCRIPT(ARM(SLOT_A, MINOR),
				CONTROL(0, "MINOR only")),
	},
	{
		.name = "wp-only", .kind = KIND_CONTROL, .n_extents = 1,
		.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
		.description = "registered WP only (WP_HUGETLBFS_SHMEM): does not block collapse",
		.steps = SCRIPT(ARM(SLOT_A, WP),
				CONTROL(0, "WP only")),
	},
};
const size_t n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct scenario *scenario_find(const char *name)
{
	for (size_t i = 0; i < n_scenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

bool scenario_runs_on(const struct scenario *sc, enum memory_type memory)
{
	return !sc->memory_types || (sc->memory_types & MEMORY_BIT(memory));
}
