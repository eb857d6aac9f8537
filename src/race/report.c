#define _GNU_SOURCE
#include "report.h"
#include "cg_json.h"

#include <errno.h>
#include <string.h>

void kernel_identify(struct kernel_id *kernel)
{
	snprintf(kernel->release, sizeof(kernel->release), "%s", cg_kernel_release());
	snprintf(kernel->version, sizeof(kernel->version), "%s", cg_kernel_version());
}

static void count(const struct race_result *results, size_t n, size_t tally[CG_N_ROW_VERDICTS])
{
	memset(tally, 0, CG_N_ROW_VERDICTS * sizeof(tally[0]));
	for (size_t i = 0; i < n; i++)
		tally[results[i].verdict]++;
}

void report_tap_begin(struct cg_tap *tap, FILE *out, const struct kernel_id *kernel, size_t rows)
{
	cg_tap_start(tap, out, rows);
	cg_tap_diag(tap, "collapse-race on %s %s", kernel->release, kernel->version);
}

void report_tap_result(struct cg_tap *tap, const struct race_result *r)
{
	if (r->verdict == CG_ROW_PASS) {
		cg_tap_diag(tap, "%s", r->detail);
		cg_tap_line(tap, true, r->row);
	} else if (r->verdict == CG_ROW_SKIP) {
		cg_tap_skip(tap, r->row, r->detail);
	} else {
		cg_tap_result(tap, false, r->row, CG_TAP_NONE, r->detail);
	}
}

void report_tap_end(struct cg_tap *tap, const struct race_result *results, size_t n)
{
	size_t tally[CG_N_ROW_VERDICTS];

	count(results, n, tally);
	cg_tap_diag(tap, "Totals: pass:%zu fail:%zu xfail:0 xpass:0 skip:%zu error:0",
		    tally[CG_ROW_PASS], tally[CG_ROW_FAIL], tally[CG_ROW_SKIP]);
	cg_tap_end(tap);
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
	size_t tally[CG_N_ROW_VERDICTS];

	fprintf(out, "collapse-race on %s %s\n\n", kernel->release, kernel->version);
	fprintf(out, "%-3s %-26s %-8s %-22s %-7s %s\n", "#", "row", "point", "expected",
		"verdict", "time");
	for (size_t i = 0; i < n; i++) {
		const struct race_result *r = &results[i];

		fprintf(out, "%-3zu %-26s %-8s %-22s %-7s %ld ms\n", i + 1, r->row, r->point,
			r->expected, cg_row_verdict_name(r->verdict), r->elapsed_ms);
		wrapped(out, r->detail, 8, 88);
	}
	count(results, n, tally);
	fprintf(out, "\n%zu rows: %zu PASS, %zu FAIL, %zu SKIP\n", n, tally[CG_ROW_PASS],
		tally[CG_ROW_FAIL], tally[CG_ROW_SKIP]);
}

int report_json(const char *path, const struct kernel_id *kernel,
		const struct race_result *results, size_t n, char *why, size_t why_size)
{
	FILE *out = strcmp(path, "-") ? fopen(path, "w") : stdout;
	size_t tally[CG_N_ROW_VERDICTS];
	struct cg_json j;
	int failed;

	if (!out) {
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	count(results, n, tally);
	cg_json_report_begin(&j, out, false, "collapse-race");
	cg_json_string(&j, "kernel_version", kernel->version);
	cg_json_array(&j, "results");
	for (size_t i = 0; i < n; i++) {
		const struct race_result *r = &results[i];

		cg_json_newline(&j, 1);
		cg_json_object(&j, NULL);
		cg_json_string(&j, "row", r->row);
		cg_json_string(&j, "point", r->point);
		cg_json_string(&j, "expected", r->expected);
		cg_json_string(&j, "verdict", cg_row_verdict_name(r->verdict));
		cg_json_int(&j, "elapsed_ms", r->elapsed_ms);
		cg_json_string(&j, "detail", r->detail);
		cg_json_end(&j);
	}
	cg_json_newline(&j, 0);
	cg_json_end(&j);
	cg_json_object(&j, "summary");
	cg_json_uint(&j, "rows", n);
	cg_json_uint(&j, "pass", tally[CG_ROW_PASS]);
	cg_json_uint(&j, "fail", tally[CG_ROW_FAIL]);
	cg_json_uint(&j, "skip", tally[CG_ROW_SKIP]);
	cg_json_finish(&j);
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
