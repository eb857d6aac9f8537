#include "outcome.h"

enum outcome result_outcome(const struct result *r)
{
	if (r->verdict == VERDICT_SKIP)
		return OUTCOME_SKIP;
	if (r->verdict == VERDICT_VULNERABLE)
		return OUTCOME_VULNERABLE;
	if (r->verdict == VERDICT_ERROR || r->control == VERDICT_ERROR ||
	    r->verdict >= N_VERDICTS)
		return OUTCOME_ERROR;
	if (r->verdict == VERDICT_REFUSED || r->control == VERDICT_REFUSED)
		return OUTCOME_REFUSED;
	return OUTCOME_PASS;
}

int results_exit_status(const struct result *results, size_t n)
{
	int status = 0;

	for (size_t i = 0; i < n; i++) {
		enum outcome outcome = result_outcome(&results[i]);

		if (outcome == OUTCOME_VULNERABLE)
			return 1;
		if (outcome == OUTCOME_ERROR)
			status = 2;
	}
	return status;
}
