#define _GNU_SOURCE
#include "cg_tap.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *cg_row_verdict_name(enum cg_row_verdict verdict)
{
	static const char *const names[CG_N_ROW_VERDICTS] = {
		[CG_ROW_PASS] = "PASS", [CG_ROW_FAIL] = "FAIL",
		[CG_ROW_SKIP] = "SKIP", [CG_ROW_ERROR] = "ERROR",
	};
	return (unsigned)verdict < CG_N_ROW_VERDICTS ? names[verdict] : "?";
}

void cg_tap_start(struct cg_tap *t, FILE *out, size_t planned)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
	t->planned = planned;
	fputs("TAP version 13\n", out);
	if (planned)
		fprintf(out, "1..%zu\n", planned);
}

void cg_tap_skip_all(FILE *out, const char *what, const char *why)
{
	fputs("TAP version 13\n1..0 # SKIP ", out);
	cg_tap_put_text(out, what);
	fputc(' ', out);
	cg_tap_put_text(out, why);
	fputc('\n', out);
	fflush(out);
}

void cg_tap_put_text(FILE *out, const char *text)
{
	for (; *text; text++)
		fputc(*text == '#' ? '_' : *text == '\n' ? ' ' : *text, out);
}

void cg_tap_result(struct cg_tap *t, bool ok, const char *description,
		   enum cg_tap_directive directive, const char *text)
{
	t->number++;
	if (directive == CG_TAP_SKIP)
		t->skipped++;
	else if (directive == CG_TAP_TODO)
		t->todo++;
	else if (ok)
		t->passed++;
	else
		t->failed++;
	fprintf(t->out, "%s %zu ", ok ? "ok" : "not ok", t->number);
	cg_tap_put_text(t->out, description);
	if (directive != CG_TAP_NONE || (text && *text)) {
		fputs(directive == CG_TAP_SKIP ? " # SKIP" : directive == CG_TAP_TODO ?
		      " # TODO" : " #", t->out);
		if (text && *text) {
			fputc(' ', t->out);
			cg_tap_put_text(t->out, text);
		}
	}
	fputc('\n', t->out);
	fflush(t->out);
}

void cg_tap_line(struct cg_tap *t, bool ok, const char *description)
{
	cg_tap_result(t, ok, description, CG_TAP_NONE, NULL);
}

void cg_tap_skip(struct cg_tap *t, const char *description, const char *reason)
{
	cg_tap_result(t, true, description, CG_TAP_SKIP, reason);
}

void cg_tap_diag(struct cg_tap *t, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	for (char *line = text, *end; line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = '\0';
		if (end && !*end)
			end = NULL;	/* a final newline ends the last line */
		fprintf(t->out, "# %s\n", line);
	}
	free(text);
	fflush(t->out);
}

size_t cg_tap_end(struct cg_tap *t)
{
	if (!t->planned)
		fprintf(t->out, "1..%zu\n", t->number);
	else if (t->number != t->planned)
		fprintf(t->out, "# planned %zu tests, wrote %zu\n", t->planned, t->number);
	fflush(t->out);
	return t->failed;
}
