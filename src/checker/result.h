/* One cell of the report: a scenario run under one collapse path. */
#ifndef COLLAPSE_CHECK_RESULT_H
#define COLLAPSE_CHECK_RESULT_H

#include <stdbool.h>

enum scenario_kind { KIND_SAFETY, KIND_CONTROL };

enum verdict {
	VERDICT_SAFE,
	VERDICT_VULNERABLE,
	VERDICT_COLLAPSED,
	VERDICT_REFUSED,
	VERDICT_SKIP,
	VERDICT_ERROR,
	N_VERDICTS
};

/* JSON null for the tri-state fields. */
enum tristate { TRI_NULL = -1, TRI_FALSE = 0, TRI_TRUE = 1 };

struct result {
	const char *scenario;
	enum scenario_kind kind;
	const char *path;
	enum verdict verdict;
	char madv_errno[24];	/* "" = null, "0" = success, else the errno name */
	enum tristate hole_kept;
	enum tristate event;
	char info[48];		/* short text shown in the table cell */
	char detail[384];
};

const char *verdict_name(enum verdict verdict);
const char *kind_name(enum scenario_kind kind);

#endif
