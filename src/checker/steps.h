/* The runner of the multi-step (VMA lifecycle) rows of the scenario table. */
#ifndef COLLAPSE_CHECK_STEPS_H
#define COLLAPSE_CHECK_STEPS_H

#include "paths.h"
#include "result.h"
#include "scenarios.h"

void steps_run(const struct scenario *scenario, const struct collapse_path *path,
	       long timeout_ms, struct result *result);

#endif
