/* One cell of the report: a scenario run on one memory type under one collapse path. */
#ifndef COLLAPSE_CHECK_RESULT_H
#define COLLAPSE_CHECK_RESULT_H

#include <stdbool.h>

/*
 * safety:    verdict SAFE or VULNERABLE (the armed hole kept and faulting);
 * control:   verdict COLLAPSED or REFUSED (collapse works where it should);
 * lifecycle: a sequence of VMA lifecycle steps with safety checks (verdict)
 *            and controls (the separate `control` result).
 */
enum scenario_kind { KIND_SAFETY, KIND_CONTROL, KIND_LIFECYCLE };

enum verdict {
	VERDICT_SAFE,
	VERDICT_VULNERABLE,
	VERDICT_COLLAPSED,
	VERDICT_REFUSED,
	VERDICT_SKIP,
	VERDICT_ERROR,
	N_VERDICTS	/* also "none" for the control part of a result */
};

/* JSON null for the tri-state fields. */
enum tristate { TRI_NULL = -1, TRI_FALSE = 0, TRI_TRUE = 1 };

/* One check (a collapse attempt) of a multi-step row. */
struct step_result {
	char label[40];		/* e.g. "after split, part A" */
	enum scenario_kind kind;	/* KIND_SAFETY or KIND_CONTROL */
	unsigned extent;
	enum verdict verdict;
	char madv_errno[24];
	enum tristate hole_kept;
	enum tristate event;
	char info[48];		/* short text for the table cell of a one-check row */
	char detail[256];
};

#define MAX_STEP_RESULTS 12

struct result {
	const char *scenario;
	enum scenario_kind kind;
	const char *memory;	/* "memfd", "tmpfs" */
	const char *path;
	enum verdict verdict;	/* lifecycle: the safety part */
	enum verdict control;	/* lifecycle: the control part; else N_VERDICTS */
	char madv_errno[24];	/* "" = null, "0" = success, else the errno name */
	enum tristate hole_kept;
	enum tristate event;
	char info[48];		/* short text shown in the table cell */
	char detail[1024];
	unsigned n_steps;	/* multi-step rows only */
	struct step_result steps[MAX_STEP_RESULTS];
};

const char *verdict_name(enum verdict verdict);
const char *kind_name(enum scenario_kind kind);

#endif
