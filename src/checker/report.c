#define _GNU_SOURCE
#include "report.h"
#include "cg_json.h"
#include "cg_tap.h"
#include "outcome.h"
#include "util.h"

#include <string.h>

#define MAX_FOOTNOTES 64

const char *verdict_name(enum verdict verdict)
{
	static const char *const names[N_VERDICTS] = {
		[VERDICT_SAFE] = "SAFE",         [VERDICT_VULNERABLE] = "VULNERABLE",
		[VERDICT_COLLAPSED] = "COLLAPSED", [VERDICT_REFUSED] = "REFUSED",
		[VERDICT_SKIP] = "SKIP",         [VERDICT_ERROR] = "ERROR",
	};
	return verdict < N_VERDICTS ? names[verdict] : "?";
}

const char *kind_name(enum scenario_kind kind)
{
	switch (kind) {
	case KIND_SAFETY:	return "safety";
	case KIND_CONTROL:	return "control";
	case KIND_LIFECYCLE:	return "lifecycle";
	}
	return "?";
}

/* "SAFE", or "SAFE/COLLAPSED" for a row with a control part. */
static void verdict_text(char *buf, size_t size, const struct result *r)
{
	if (r->control == N_VERDICTS || r->verdict == VERDICT_SKIP ||
	    (r->verdict == VERDICT_ERROR && r->control == VERDICT_ERROR))
		format_into(buf, size, "%s", verdict_name(r->verdict));
	else
		format_into(buf, size, "%s/%s", verdict_name(r->verdict),
			    verdict_name(r->control));
}

static size_t n_results(const struct report *report)
{
	return report->n_rows * report->n_paths;
}

/* ---- table ---- */

struct footnotes {
	const char *text[MAX_FOOTNOTES];
	size_t count;
};

static size_t footnote_number(struct footnotes *notes, const char *text)
{
	for (size_t i = 0; i < notes->count; i++)
		if (!strcmp(notes->text[i], text))
			return i + 1;
	if (notes->count == MAX_FOOTNOTES)
		return 0;
	notes->text[notes->count++] = text;
	return notes->count;
}

static bool verdict_ok(enum verdict verdict)
{
	switch (verdict) {
	case VERDICT_SAFE:
	case VERDICT_COLLAPSED:
	case VERDICT_SKIP:
	case N_VERDICTS:	/* no such part */
		return true;
	case VERDICT_VULNERABLE:
	case VERDICT_REFUSED:
	case VERDICT_ERROR:
		break;
	}
	return false;
}

static void cell_text(char *buf, size_t size, const struct result *r, struct footnotes *notes)
{
	char verdict[32];

	verdict_text(verdict, sizeof(verdict), r);
	/* A multi-step row that went wrong: its detail says which step. */
	if (r->verdict == VERDICT_SKIP || r->verdict == VERDICT_ERROR ||
	    (r->n_steps && !(verdict_ok(r->verdict) && verdict_ok(r->control)))) {
		format_into(buf, size, "%s [%zu]", verdict, footnote_number(notes, r->detail));
	} else if (r->info[0]) {
		format_into(buf, size, "%s (%s)", verdict, r->info);
	} else {
		format_into(buf, size, "%s", verdict);
	}
}

void report_table(FILE *out, const struct report *report)
{
	struct footnotes notes = { .count = 0 };
	const int name_width = 17, kind_width = 9, memory_width = 6, cell_width = 30;

	fprintf(out, "collapse-check: kernel %s, timeout %g s\n\n", report->kernel,
		report->timeout_ms / 1000.0);
	fprintf(out, "%-*s %-*s %-*s", name_width, "scenario", kind_width, "kind", memory_width,
		"memory");
	for (size_t c = 0; c < report->n_paths; c++)
		fprintf(out, " %-*s", c + 1 < report->n_paths ? cell_width : 0,
			report->path_names[c]);
	fputc('\n', out);
	for (size_t row = 0; row < report->n_rows; row++) {
		const struct result *first = &report->results[row * report->n_paths];

		fprintf(out, "%-*s %-*s %-*s", name_width, first->scenario, kind_width,
			kind_name(first->kind), memory_width, first->memory);
		for (size_t c = 0; c < report->n_paths; c++) {
			char cell[96];

			cell_text(cell, sizeof(cell), &first[c], &notes);
			if (c + 1 < report->n_paths)
				fprintf(out, " %-*s", cell_width, cell);
			else
				fprintf(out, " %s", cell);
		}
		fputc('\n', out);
	}
	if (notes.count)
		fputc('\n', out);
	for (size_t i = 0; i < notes.count; i++)
		fprintf(out, "[%zu] %s\n", i + 1, notes.text[i]);
	fflush(out);
}

/* ---- TAP (outcome.h says which line a cell gets) ---- */

static void put_tap_line(struct cg_tap *tap, const struct result *r, enum outcome outcome)
{
	char name[96], text[sizeof(r->detail) + 160] = "", verdict[32];

	format_into(name, sizeof(name), "%s/%s/%s", r->scenario, r->memory, r->path);
	if (outcome == OUTCOME_SKIP) {
		cg_tap_skip(tap, name, r->detail);
		return;
	}
	if (outcome == OUTCOME_REFUSED)
		append_to(text, sizeof(text), "collapse refused where it should work: ");
	verdict_text(verdict, sizeof(verdict), r);
	append_to(text, sizeof(text), "%s", verdict);
	if (r->info[0])
		append_to(text, sizeof(text), " (%s)", r->info);
	append_to(text, sizeof(text), ": %s", r->detail);
	cg_tap_result(tap, outcome == OUTCOME_PASS, name,
		      outcome == OUTCOME_REFUSED ? CG_TAP_TODO : CG_TAP_NONE, text);
}

void report_tap(FILE *out, const struct report *report)
{
	size_t n = n_results(report), counts[OUTCOME_VULNERABLE + 1] = { 0 };
	struct cg_tap tap;

	cg_tap_start(&tap, out, n);
	cg_tap_diag(&tap, "collapse-check: kernel %s, timeout %g s", report->kernel,
		    report->timeout_ms / 1000.0);
	for (size_t i = 0; i < n; i++) {
		enum outcome outcome = result_outcome(&report->results[i]);

		counts[outcome]++;
		put_tap_line(&tap, &report->results[i], outcome);
	}
	/* kselftest's summary line; a refused control counts as an expected failure. */
	cg_tap_diag(&tap, "Totals: pass:%zu fail:%zu xfail:%zu xpass:0 skip:%zu error:%zu",
		    counts[OUTCOME_PASS], counts[OUTCOME_VULNERABLE], counts[OUTCOME_REFUSED],
		    counts[OUTCOME_SKIP], counts[OUTCOME_ERROR]);
	cg_tap_end(&tap);
}

/*
 * ---- JSON (schema version "1", consumed by other tools: keep it stable) ----
 * Every row has the same fields as ever, and "memory" (memfd, tmpfs) since the
 * memory axis; multi-step rows add "control" (the control part of a lifecycle
 * row, else null) and "steps" (one object per
 * check). "kind" may be "lifecycle", whose "verdict" is the safety part.
 */

static void json_tristate(struct cg_json *j, const char *key, enum tristate value)
{
	if (value == TRI_NULL)
		cg_json_null(j, key);
	else
		cg_json_bool(j, key, value == TRI_TRUE);
}

/* The fields a row and a step of it share, from "verdict" to "detail". */
static void put_json_check(struct cg_json *j, enum verdict verdict, const char *madv_errno,
			   enum tristate hole_kept, enum tristate event, const char *detail)
{
	cg_json_string(j, "verdict", verdict_name(verdict));
	cg_json_string(j, "madv_errno", madv_errno[0] ? madv_errno : NULL);
	json_tristate(j, "hole_kept", hole_kept);
	json_tristate(j, "event", event);
	cg_json_string(j, "detail", detail);
}

static void put_json_step(struct cg_json *j, const struct step_result *s)
{
	cg_json_newline(j, 4);
	cg_json_object(j, NULL);
	cg_json_string(j, "step", s->label);
	cg_json_string(j, "check", kind_name(s->kind));
	cg_json_uint(j, "extent", s->extent);
	put_json_check(j, s->verdict, s->madv_errno, s->hole_kept, s->event, s->detail);
	cg_json_end(j);
}

static void put_json_result(struct cg_json *j, const struct result *r)
{
	cg_json_newline(j, 2);
	cg_json_object(j, NULL);
	cg_json_string(j, "scenario", r->scenario);
	cg_json_string(j, "kind", kind_name(r->kind));
	cg_json_string(j, "path", r->path);
	cg_json_string(j, "memory", r->memory);
	put_json_check(j, r->verdict, r->madv_errno, r->hole_kept, r->event, r->detail);
	if (r->n_steps || r->control != N_VERDICTS) {
		cg_json_string(j, "control",
			       r->control == N_VERDICTS ? NULL : verdict_name(r->control));
		cg_json_array(j, "steps");
		for (unsigned s = 0; s < r->n_steps; s++)
			put_json_step(j, &r->steps[s]);
		cg_json_end(j);
	}
	cg_json_end(j);
}

void report_json(FILE *out, const struct report *report)
{
	size_t n = n_results(report), counts[N_VERDICTS] = { 0 };
	struct cg_json j;

	cg_json_report_begin(&j, out, false, "collapse-check");
	cg_json_string(&j, "version", "1");
	cg_json_array(&j, "results");
	for (size_t i = 0; i < n; i++) {
		counts[report->results[i].verdict]++;
		put_json_result(&j, &report->results[i]);
	}
	cg_json_newline(&j, 0);
	cg_json_end(&j);
	cg_json_object(&j, "summary");
	cg_json_uint(&j, "safe", counts[VERDICT_SAFE]);
	cg_json_uint(&j, "vulnerable", counts[VERDICT_VULNERABLE]);
	cg_json_uint(&j, "collapsed", counts[VERDICT_COLLAPSED]);
	cg_json_uint(&j, "refused", counts[VERDICT_REFUSED]);
	cg_json_uint(&j, "skip", counts[VERDICT_SKIP]);
	cg_json_uint(&j, "error", counts[VERDICT_ERROR]);
	cg_json_finish(&j);
}
