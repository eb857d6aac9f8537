/* The scenarios (the report's rows) and the runner shared by all of them. */
#ifndef COLLAPSE_CHECK_SCENARIOS_H
#define COLLAPSE_CHECK_SCENARIOS_H

#include <stddef.h>

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

struct scenario {
	const char *name;
	enum scenario_kind kind;
	const char *description;
	unsigned n_extents;		/* memfd size in 2 MiB extents */
	unsigned armed_extent;		/* the armed mapping maps exactly this one */
	unsigned target_extent;		/* the one collapsed */
	enum fill_pattern pattern;
	enum armer armer;
	enum uffd_fate fate;
	enum collapse_via via;
};

extern const struct scenario scenarios[];
extern const size_t n_scenarios;

/* Also the probe telling whether a path collapses at all. */
#define NO_UFFD_SCENARIO "no-uffd"

const struct scenario *scenario_find(const char *name);

void scenario_run(const struct scenario *scenario, const struct collapse_path *path,
		  long timeout_ms, struct result *result);

#endif
