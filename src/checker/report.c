#define _GNU_SOURCE
#include "report.h"
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

/* '#' would start a TAP directive, newlines would end the line. */
static void put_tap_text(FILE *out, const char *text)
{
	for (; *text; text++)
		fputc(*text == '#' ? '_' : *text == '\n' ? ' ' : *text, out);
}

static void put_tap_line(FILE *out, size_t number, const struct result *r,
			 enum outcome outcome)
{
	char verdict[32];
	bool ok = outcome == OUTCOME_PASS || outcome == OUTCOME_SKIP;

	fprintf(out, "%s %zu %s/%s/%s # ", ok ? "ok" : "not ok", number, r->scenario, r->memory,
		r->path);
	if (outcome == OUTCOME_SKIP) {
		fputs("SKIP ", out);
		put_tap_text(out, r->detail);
		fputc('\n', out);
		return;
	}
	if (outcome == OUTCOME_REFUSED)
		fputs("TODO collapse refused where it should work: ", out);
	verdict_text(verdict, sizeof(verdict), r);
	fputs(verdict, out);
	if (r->info[0]) {
		fputs(" (", out);
		put_tap_text(out, r->info);
		fputc(')', out);
	}
	fputs(": ", out);
	put_tap_text(out, r->detail);
	fputc('\n', out);
}

void report_tap(FILE *out, const struct report *report)
{
	size_t n = n_results(report), counts[OUTCOME_VULNERABLE + 1] = { 0 };

	fprintf(out, "TAP version 13\n");
	fprintf(out, "# collapse-check: kernel %s, timeout %g s\n", report->kernel,
		report->timeout_ms / 1000.0);
	fprintf(out, "1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		enum outcome outcome = result_outcome(&report->results[i]);

		counts[outcome]++;
		put_tap_line(out, i + 1, &report->results[i], outcome);
	}
	/* kselftest's summary line; a refused control counts as an expected failure. */
	fprintf(out, "# Totals: pass:%zu fail:%zu xfail:%zu xpass:0 skip:%zu error:%zu\n",
		counts[OUTCOME_PASS], counts[OUTCOME_VULNERABLE], counts[OUTCOME_REFUSED],
		counts[OUTCOME_SKIP], counts[OUTCOME_ERROR]);
	fflush(out);
}

/*
 * ---- JSON (schema version "1", consumed by other tools: keep it stable) ----
 * Every row has the same fields as ever, and "memory" (memfd, tmpfs) since the
 * memory axis; multi-step rows add "control" (the
 * control part of a lifecycle row, else null) and "steps" (one object per
 * check). "kind" may be "lifecycle", whose "verdict" is the safety part.
 */

static void put_json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static const char *json_tristate(enum tristate value)
{
	return value == TRI_NULL ? "null" : value == TRI_TRUE ? "true" : "false";
}

static void put_json_step(FILE *out, const struct step_result *s, unsigned index)
{
	fputs(index ? ",\n    {\"step\":" : "\n    {\"step\":", out);
	put_json_string(out, s->label);
	fprintf(out, ",\"check\":\"%s\",\"extent\":%u,\"verdict\":\"%s\",\"madv_errno\":",
		kind_name(s->kind), s->extent, verdict_name(s->verdict));
	if (s->madv_errno[0])
		put_json_string(out, s->madv_errno);
	else
		fputs("null", out);
	fprintf(out, ",\"hole_kept\":%s,\"event\":%s,\"detail\":", json_tristate(s->hole_kept),
		json_tristate(s->event));
	put_json_string(out, s->detail);
	fputc('}', out);
}

void report_json(FILE *out, const struct report *report)
{
	size_t n = n_results(report), counts[N_VERDICTS] = { 0 };

	fputs("{\"tool\":\"collapse-check\",\"version\":\"1\",\"kernel\":", out);
	put_json_string(out, report->kernel);
	fputs(",\"results\":[", out);
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &report->results[i];

		counts[r->verdict]++;
		fputs(i ? ",\n  {" : "\n  {", out);
		fputs("\"scenario\":", out);
		put_json_string(out, r->scenario);
		fprintf(out, ",\"kind\":\"%s\",\"path\":", kind_name(r->kind));
		put_json_string(out, r->path);
		fputs(",\"memory\":", out);
		put_json_string(out, r->memory);
		fprintf(out, ",\"verdict\":\"%s\",\"madv_errno\":", verdict_name(r->verdict));
		if (r->madv_errno[0])
			put_json_string(out, r->madv_errno);
		else
			fputs("null", out);
		fprintf(out, ",\"hole_kept\":%s,\"event\":%s,\"detail\":",
			json_tristate(r->hole_kept), json_tristate(r->event));
		put_json_string(out, r->detail);
		if (r->n_steps || r->control != N_VERDICTS) {
			fputs(",\"control\":", out);
			if (r->control == N_VERDICTS)
				fputs("null", out);
			else
				fprintf(out, "\"%s\"", verdict_name(r->control));
			fputs(",\"steps\":[", out);
			for (unsigned s = 0; s < r->n_steps; s++)
				put_json_step(out, &r->steps[s], s);
			fputc(']', out);
		}
		fputc('}', out);
	}
	fprintf(out, "\n],\"summary\":{\"safe\":%zu,\"vulnerable\":%zu,\"collapsed\":%zu,"
		"\"refused\":%zu,\"skip\":%zu,\"error\":%zu}}\n",
		counts[VERDICT_SAFE], counts[VERDICT_VULNERABLE], counts[VERDICT_COLLAPSED],
		counts[VERDICT_REFUSED], counts[VERDICT_SKIP], counts[VERDICT_ERROR]);
	fflush(out);
}
