/*
 * JSON for every program's report, written once: string escaping, and a
 * writer that keeps track of the commas of objects and arrays so a report
 * is a sequence of fields. Also reading a string or a number by key out of
 * a flat JSON text (a QMP reply, one of our own reports).
 *
 * A writer's layout is compact ({"a":1,"b":2}); cg_json_newline() starts
 * the next member on a line of its own, so a long report stays readable
 * (and line-oriented tools can follow it).
 */
#ifndef CG_JSON_H
#define CG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CG_JSON_MAX_DEPTH 16

struct cg_json {
	FILE *out;
	int depth;
	bool has_member[CG_JSON_MAX_DEPTH];	/* the next member needs a comma */
	char closer[CG_JSON_MAX_DEPTH];		/* '}' or ']' */
	int newline_indent;			/* -1, or a newline before the next item */
	const char *space;			/* after colons and commas: "" or " " */
};

/* A JSON string literal of text, quotes included. */
void cg_json_put_string(FILE *out, const char *text);
/* Like cg_json_put_string(), or null for NULL. */
void cg_json_put_string_or_null(FILE *out, const char *text);

/* Starts a writer on out; spaced puts a space after colons and commas. */
void cg_json_start(struct cg_json *j, FILE *out, bool spaced);

/*
 * A program's report: starts a writer on out and opens the top-level object
 * with the members every report begins with, "tool" and "kernel" (the
 * running kernel's release).
 */
void cg_json_report_begin(struct cg_json *j, FILE *out, bool spaced, const char *tool);

/*
 * Members: key is the member's name inside an object, NULL inside an array
 * (or for the top-level value).
 */
void cg_json_object(struct cg_json *j, const char *key);	/* opens { */
void cg_json_array(struct cg_json *j, const char *key);		/* opens [ */
void cg_json_end(struct cg_json *j);				/* closes the innermost */
void cg_json_string(struct cg_json *j, const char *key, const char *value);	/* NULL: null */
void cg_json_bool(struct cg_json *j, const char *key, bool value);
void cg_json_null(struct cg_json *j, const char *key);
void cg_json_int(struct cg_json *j, const char *key, long long value);
void cg_json_uint(struct cg_json *j, const char *key, unsigned long long value);
/* A number printed with printf's fmt, e.g. "%.3f" or "%g". */
void cg_json_double(struct cg_json *j, const char *key, const char *fmt, double value);
/* A value already written as JSON (e.g. another program's report). */
void cg_json_raw(struct cg_json *j, const char *key, const char *json);
/* The next member (or the closing bracket) starts a new line, indented by indent. */
void cg_json_newline(struct cg_json *j, int indent);
/* After the top-level value: a newline, a flush; 0, or -1 when the stream failed. */
int cg_json_finish(struct cg_json *j);

/* 0 when "key": "value" is found (value unescaped well enough for display). */
int cg_json_get_string(const char *json, const char *key, char *value, size_t size);
/* 0 when "key": NUMBER is found. */
int cg_json_get_number(const char *json, const char *key, long long *value);

#endif
