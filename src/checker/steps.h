/* The one interpreter of the scenario table: a row's script, run for one cell. */
#ifndef COLLAPSE_CHECK_STEPS_H
#define COLLAPSE_CHECK_STEPS_H

#include "memory.h"
#include "paths.h"
#include "result.h"
#include "scenarios.h"

void scenario_run(const struct scenario *scenario, enum memory_type memory,
		  const struct collapse_path *path, long timeout_ms, struct result *result);

#endif
