/*
 * --faultinj: kernel fault injection (failslab, fail_page_alloc) aimed at
 * the collapse and registration paths, then checks that nothing drifted.
 */
#ifndef STRESS_FAULTINJ_H
#define STRESS_FAULTINJ_H

#include "cli.h"

/* Returns the exit code: 0 every check passed, 1 a check failed, 2 set-up. */
int run_faultinj(const struct options *o);

#endif
