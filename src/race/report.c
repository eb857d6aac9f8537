#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

void kernel_identify(struct kernel_id *kernel)
{
	struct utsname uts;

	if (uname(&uts)) {
		strcpy(kernel->release, "unknown");
		kernel->version[0] = '\0';
		return;
	}
	snprintf(kernel->release, sizeof(kernel->release), "%s", uts.release);
	snprintf(kernel->version, sizeof(kernel->version), "%s", uts.version);
}

const char *verdict_name(enum verdict verdict)
{
	switch (verdict) {
	case VERDICT_PASS: return "PASS";
	case VERDICT_FAIL: return "FAIL";
	case VERDICT_SKIP: return "SKIP";
	}
	return "?";
}

static void count(const struct race_result *results, size_t n, size_t tally[3])
{
	tally[VERDICT_PASS] = tally[VERDICT_FAIL] = tally[VERDICT_SKIP] = 0;
	for (size_t i = 0; i < n; i++)
		tally[results[i].verdict]++;
}

void report_tap_begin(FILE *out, const struct kernel_id *kernel, size_t rows)
{
	fprintf(out, "TAP version 13\n1..%zu\n# collapse-race on %s %s\n", rows,
		kernel->release, kernel->version);
	fflush(out);
}

/* TAP descriptions and directives end at a newline and must not hold '#'. */
static void tap_text(FILE *out, const char *text)
{
	for (; *text; text++)
		fputc(*text == '\n' ? ' ' : *text == '#' ? 'N' : *text, out);
}

void report_tap_result(FILE *out, size_t number, const struct race_result *r)
{
	if (r->verdict == VERDICT_PASS) {
		fputs("# ", out);
		tap_text(out, r->detail);
		fprintf(out, "\nok %zu %s\n", number, r->row);
	} else if (r->verdict == VERDICT_SKIP) {
		fprintf(out, "ok %zu %s # SKIP ", number, r->row);
		tap_text(out, r->detail);
		fputc('\n', out);
	} else {
		fprintf(out, "not ok %zu %s # ", number, r->row);
		tap_text(out, r->detail);
		fputc('\n', out);
	}
	fflush(out);
}

void report_tap_end(FILE *out, const struct race_result *results, size_t n)
{
	size_t tally[3];

	count(results, n, tally);
	fprintf(out, "# Totals: pass:%zu fail:%zu xfail:0 xpass:0 skip:%zu error:0\n",
		tally[VERDICT_PASS], tally[VERDICT_FAIL], tally[VERDICT_SKIP]);
	fflush(out);
}

/* Prints text wrapped at about `width` columns, each line indented. */
static void wrapped(FILE *out, const char *text, int indent, int width)
{
	while (*text) {
		int len = (int)strlen(text), cut = len;

		if (len > width) {
			cut = width;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		fprintf(out, "%*s%.*s\n", indent, "", cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

void report_table(FILE *out, const struct kernel_id *kernel,
		  const struct race_result *results, size_t n)
{
	size_t tally[3];

	fprintf(out, "collapse-race on %s %s\n\n", kernel->release, kernel->version);
	fprintf(out, "%-3s %-26s %-8s %-22s %-7s %s\n", "#", "row", "point", "expected",
		"verdict", "time");
	for (size_t i = 0; i < n; i++) {
		const struct race_result *r = &results[i];

		fprintf(out, "%-3zu %-26s %-8s %-22s %-7s %ld ms\n", i + 1, r->row, r->point,
			r->expected, verdict_name(r->verdict), r->elapsed_ms);
		wrapped(out, r->detail, 8, 88);
	}
	count(results, n, tally);
	fprintf(out, "\n%zu rows: %zu PASS, %zu FAIL, %zu SKIP\n", n, tally[VERDICT_PASS],
		tally[VERDICT_FAIL], tally[VERDICT_SKIP]);
}

static void json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

int report_json(const char *path, const struct kernel_id *kernel,
		const struct race_result *results, size_t n, char *why, size_t why_size)
{
	FILE *out = strcmp(path, "-") ? fopen(path, "w") : stdout;
	size_t tally[3];
	int failed;

	if (!out) {
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	count(results, n, tally);
	fputs("{\"tool\":\"collapse-race\",\"kernel\":", out);
	json_string(out, kernel->release);
	fputs(",\"kernel_version\":", out);
	json_string(out, kernel->version);
	fputs(",\"results\":[", out);
	for (size_t i = 0; i < n; i++) {
		const struct race_result *r = &results[i];

		fprintf(out, "%s\n {\"row\":", i ? "," : "");
		json_string(out, r->row);
		fputs(",\"point\":", out);
		json_string(out, r->point);
		fputs(",\"expected\":", out);
		json_string(out, r->expected);
		fprintf(out, ",\"verdict\":\"%s\",\"elapsed_ms\":%ld,\"detail\":",
			verdict_name(r->verdict), r->elapsed_ms);
		json_string(out, r->detail);
		fputc('}', out);
	}
	fprintf(out, "\n],\"summary\":{\"rows\":%zu,\"pass\":%zu,\"fail\":%zu,\"skip\":%zu}}\n", n,
		tally[VERDICT_PASS], tally[VERDICT_FAIL], tally[VERDICT_SKIP]);
	failed = ferror(out);
	if (out == stdout)
		failed |= fflush(out);
	else
		failed |= fclose(out);
	if (failed) {
		snprintf(why, why_size, "%s: write failed", path);
		return -1;
	}
	return 0;
}
