#define _GNU_SOURCE
#include "cg_json.h"
#include "cg_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cg_json_put_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void cg_json_put_string_or_null(FILE *out, const char *text)
{
	if (text)
		cg_json_put_string(out, text);
	else
		fputs("null", out);
}

void cg_json_start(struct cg_json *j, FILE *out, bool spaced)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->newline_indent = -1;
	j->space = spaced ? " " : "";
}

void cg_json_report_begin(struct cg_json *j, FILE *out, bool spaced, const char *tool)
{
	cg_json_start(j, out, spaced);
	cg_json_object(j, NULL);
	cg_json_string(j, "tool", tool);
	cg_json_string(j, "kernel", cg_kernel_release());
}

static void pending_newline(struct cg_json *j)
{
	if (j->newline_indent < 0)
		return;
	fprintf(j->out, "\n%*s", j->newline_indent, "");
	j->newline_indent = -1;
}

/* The comma before a member, the newline asked for, and its "key": part. */
static void member(struct cg_json *j, const char *key)
{
	if (j->has_member[j->depth])
		fprintf(j->out, ",%s", j->newline_indent >= 0 ? "" : j->space);
	j->has_member[j->depth] = true;
	pending_newline(j);
	if (key) {
		cg_json_put_string(j->out, key);
		fprintf(j->out, ":%s", j->space);
	}
}

static void open_nested(struct cg_json *j, const char *key, char opener, char closer)
{
	member(j, key);
	fputc(opener, j->out);
	if (j->depth + 1 < CG_JSON_MAX_DEPTH)
		j->depth++;
	j->has_member[j->depth] = false;
	j->closer[j->depth] = closer;
}

void cg_json_object(struct cg_json *j, const char *key)
{
	open_nested(j, key, '{', '}');
}

void cg_json_array(struct cg_json *j, const char *key)
{
	open_nested(j, key, '[', ']');
}

void cg_json_end(struct cg_json *j)
{
	if (j->depth == 0)
		return;
	pending_newline(j);
	fputc(j->closer[j->depth], j->out);
	j->depth--;
}

void cg_json_string(struct cg_json *j, const char *key, const char *value)
{
	member(j, key);
	cg_json_put_string_or_null(j->out, value);
}

void cg_json_bool(struct cg_json *j, const char *key, bool value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->out);
}

void cg_json_null(struct cg_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

void cg_json_int(struct cg_json *j, const char *key, long long value)
{
	member(j, key);
	fprintf(j->out, "%lld", value);
}

void cg_json_uint(struct cg_json *j, const char *key, unsigned long long value)
{
	member(j, key);
	fprintf(j->out, "%llu", value);
}

void cg_json_double(struct cg_json *j, const char *key, const char *fmt, double value)
{
	member(j, key);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(j->out, fmt, value);
#pragma GCC diagnostic pop
}

void cg_json_raw(struct cg_json *j, const char *key, const char *json)
{
	member(j, key);
	fputs(json, j->out);
}

void cg_json_newline(struct cg_json *j, int indent)
{
	j->newline_indent = indent;
}

int cg_json_finish(struct cg_json *j)
{
	while (j->depth > 0)
		cg_json_end(j);
	fputc('\n', j->out);
	return fflush(j->out) || ferror(j->out) ? -1 : 0;
}

/* Points after `"key"` and the colon, at the value; NULL if absent. */
static const char *find_value(const char *json, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = strchr(json, '"'); p; p = strchr(p + 1, '"')) {
		const char *q;

		if (strncmp(p + 1, key, len) || p[len + 1] != '"')
			continue;
		q = p + len + 2;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != ':')
			continue;
		q++;
		while (isspace((unsigned char)*q))
			q++;
		return q;
	}
	return NULL;
}

int cg_json_get_string(const char *json, const char *key, char *value, size_t size)
{
	const char *p = find_value(json, key);
	size_t n = 0;

	if (!p || *p != '"' || !size)
		return -ENOENT;
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (n + 1 < size)
			value[n++] = *p;
	}
	value[n] = '\0';
	return *p == '"' ? 0 : -EINVAL;
}

int cg_json_get_number(const char *json, const char *key, long long *value)
{
	const char *p = find_value(json, key);
	char *end;

	if (!p)
		return -ENOENT;
	errno = 0;
	*value = strtoll(p, &end, 10);
	return end == p || errno ? -EINVAL : 0;
}
