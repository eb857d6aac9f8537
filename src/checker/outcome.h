/*
 * What a cell means for the run, the one rule behind both the exit status
 * and the TAP lines, so that prove passes exactly when the exit status is 0:
 *   pass        ok
 *   skip        ok ... # SKIP reason
 *   refused     not ok ... # TODO: a control the kernel refused (it is
 *               stricter than needed, as upstream's guard is at the extent
 *               below an armed one); not a safety failure, so not a failure
 *   error       not ok: the set-up broke, the cell proves nothing (exit 2)
 *   vulnerable  not ok: an armed hole was filled (exit 1)
 */
#ifndef COLLAPSE_CHECK_OUTCOME_H
#define COLLAPSE_CHECK_OUTCOME_H

#include <stddef.h>

#include "result.h"

enum outcome { OUTCOME_PASS, OUTCOME_SKIP, OUTCOME_REFUSED, OUTCOME_ERROR, OUTCOME_VULNERABLE };

enum outcome result_outcome(const struct result *r);

/* 1 if a cell is vulnerable, else 2 if one is an error, else 0. */
int results_exit_status(const struct result *results, size_t n);

#endif
