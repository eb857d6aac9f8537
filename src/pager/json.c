#define _GNU_SOURCE
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void json_put_string(FILE *out, const char *text)
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

void json_put_string_or_null(FILE *out, const char *text)
{
	if (text)
		json_put_string(out, text);
	else
		fputs("null", out);
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

int json_get_string(const char *json, const char *key, char *value, size_t size)
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

int json_get_number(const char *json, const char *key, long long *value)
{
	const char *p = find_value(json, key);
	char *end;

	if (!p)
		return -ENOENT;
	errno = 0;
	*value = strtoll(p, &end, 10);
	return end == p || errno ? -EINVAL : 0;
}
