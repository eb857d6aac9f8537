/*
 * Just enough JSON: writing strings escaped, and picking a string or a
 * number by key out of one QMP reply or one of our own reports (the first
 * occurrence of the key anywhere, which is all these flat replies need).
 */
#ifndef PAGER_JSON_H
#define PAGER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

void json_put_string(FILE *out, const char *text);
/* Like json_put_string, or null for NULL. */
void json_put_string_or_null(FILE *out, const char *text);

/* 0 when "key": "value" is found (value unescaped well enough for display). */
int json_get_string(const char *json, const char *key, char *value, size_t size);
/* 0 when "key": NUMBER is found. */
int json_get_number(const char *json, const char *key, long long *value);

#endif
