/*
 * TAP version 13 (kselftest style) for every program that prints it: the
 * plan is counted, never written by hand; a skip is a real "# SKIP reason"
 * directive and an expected failure a "# TODO reason" one, which TAP
 * consumers (prove) count as such; descriptions and directives are kept on
 * their line ('#' and newlines in them are replaced).
 *
 * Also the verdict of a row of a test program (PASS, FAIL, SKIP, ERROR),
 * the vocabulary of collapse-race, collapse-stress and collapse-pager.
 */
#ifndef CG_TAP_H
#define CG_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cg_row_verdict { CG_ROW_PASS, CG_ROW_FAIL, CG_ROW_SKIP, CG_ROW_ERROR, CG_N_ROW_VERDICTS };

/* "PASS", "FAIL", "SKIP", "ERROR". */
const char *cg_row_verdict_name(enum cg_row_verdict verdict);

enum cg_tap_directive { CG_TAP_NONE, CG_TAP_SKIP, CG_TAP_TODO };

struct cg_tap {
	FILE *out;
	size_t planned;		/* announced up front; 0: the plan follows the last line */
	size_t number;		/* test lines written */
	size_t passed, failed, skipped, todo;
};

/*
 * "TAP version 13", then the plan "1..planned" when planned is known
 * (a streamed report); with planned 0, cg_tap_end() prints the plan.
 */
void cg_tap_start(struct cg_tap *t, FILE *out, size_t planned);

/* A run that tests nothing: "TAP version 13", "1..0 # SKIP what why". */
void cg_tap_skip_all(FILE *out, const char *what, const char *why);

/*
 * "ok N description" or "not ok N description", then " # SKIP text",
 * " # TODO text", or, with CG_TAP_NONE and a text, " # text" (a comment).
 */
void cg_tap_result(struct cg_tap *t, bool ok, const char *description,
		   enum cg_tap_directive directive, const char *text);
/* cg_tap_result(t, ok, description, CG_TAP_NONE, NULL). */
void cg_tap_line(struct cg_tap *t, bool ok, const char *description);
/* "ok N description # SKIP reason". */
void cg_tap_skip(struct cg_tap *t, const char *description, const char *reason);

/* A diagnostic: "# " and the text, a line of its own per line of text. */
void cg_tap_diag(struct cg_tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The plan when it was not announced, and a diagnostic when the number of
 * lines disagrees with the plan. Returns the number of "not ok" lines that
 * are not TODO: TAP passes exactly when it is 0.
 */
size_t cg_tap_end(struct cg_tap *t);

/* Writes text with '#' and newlines replaced, so it stays one description. */
void cg_tap_put_text(FILE *out, const char *text);

#endif
