#define _GNU_SOURCE
#include "report.h"
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
	return kind == KIND_SAFETY ? "safety" : "control";
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

static void cell_text(char *buf, size_t size, const struct result *r, struct footnotes *notes)
{
	if (r->verdict == VERDICT_SKIP || r->verdict == VERDICT_ERROR) {
		format_into(buf, size, "%s [%zu]", verdict_name(r->verdict),
			    footnote_number(notes, r->detail));
	} else if (r->info[0]) {
		format_into(buf, size, "%s (%s)", verdict_name(r->verdict), r->info);
	} else {
		format_into(buf, size, "%s", verdict_name(r->verdict));
	}
}

void report_table(FILE *out, const struct report *report)
{
	struct footnotes notes = { .count = 0 };
	const int name_width = 17, kind_width = 8, cell_width = 24;

	fprintf(out, "collapse-check: kernel %s, timeout %g s\n\n", report->kernel,
		report->timeout_ms / 1000.0);
	fprintf(out, "%-*s %-*s", name_width, "scenario", kind_width, "kind");
	for (size_t c = 0; c < report->n_paths; c++)
		fprintf(out, " %-*s", c + 1 < report->n_paths ? cell_width : 0,
			report->path_names[c]);
	fputc('\n', out);
	for (size_t row = 0; row < report->n_rows; row++) {
		const struct result *first = &report->results[row * report->n_paths];

		fprintf(out, "%-*s %-*s", name_width, first->scenario, kind_width,
			kind_name(first->kind));
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

/* ---- TAP ---- */

static bool tap_ok(const struct result *r)
{
	switch (r->verdict) {
	case VERDICT_SAFE:
	case VERDICT_COLLAPSED:
	case VERDICT_SKIP:
		return true;
	case VERDICT_VULNERABLE:
	case VERDICT_REFUSED:
	case VERDICT_ERROR:
	case N_VERDICTS:
		break;
	}
	return false;
}

/* '#' would start a TAP directive, newlines would end the line. */
static void put_tap_text(FILE *out, const char *text)
{
	for (; *text; text++)
		fputc(*text == '#' ? '_' : *text == '\n' ? ' ' : *text, out);
}

void report_tap(FILE *out, const struct report *report)
{
	size_t n = n_results(report);

	fprintf(out, "TAP version 13\n");
	fprintf(out, "# collapse-check: kernel %s, timeout %g s\n", report->kernel,
		report->timeout_ms / 1000.0);
	fprintf(out, "1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &report->results[i];

		fprintf(out, "%s %zu %s/%s # ", tap_ok(r) ? "ok" : "not ok", i + 1,
			r->scenario, r->path);
		if (r->verdict == VERDICT_SKIP) {
			fputs("SKIP ", out);
		} else {
			fputs(verdict_name(r->verdict), out);
			if (r->info[0]) {
				fputs(" (", out);
				put_tap_text(out, r->info);
				fputc(')', out);
			}
			fputs(": ", out);
		}
		put_tap_text(out, r->detail);
		fputc('\n', out);
	}
	fflush(out);
}

/* ---- JSON (schema version "1", consumed by other tools: keep it stable) ---- */

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
		fprintf(out, ",\"verdict\":\"%s\",\"madv_errno\":", verdict_name(r->verdict));
		if (r->madv_errno[0])
			put_json_string(out, r->madv_errno);
		else
			fputs("null", out);
		fprintf(out, ",\"hole_kept\":%s,\"event\":%s,\"detail\":",
			json_tristate(r->hole_kept), json_tristate(r->event));
		put_json_string(out, r->detail);
		fputc('}', out);
	}
	fprintf(out, "\n],\"summary\":{\"safe\":%zu,\"vulnerable\":%zu,\"collapsed\":%zu,"
		"\"refused\":%zu,\"skip\":%zu,\"error\":%zu}}\n",
		counts[VERDICT_SAFE], counts[VERDICT_VULNERABLE], counts[VERDICT_COLLAPSED],
		counts[VERDICT_REFUSED], counts[VERDICT_SKIP], counts[VERDICT_ERROR]);
	fflush(out);
}
