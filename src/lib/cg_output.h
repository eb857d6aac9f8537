/*
 * Report files written whole or not at all. A named file is written to a
 * temporary file in its folder and renamed over it at the end, so a run that
 * is interrupted or fails to write leaves the old file (or none), never a
 * truncated one; the temporary file is removed at exit and on fatal signals
 * (cg_exit_guard.h). "-" is stdout. Something that is not a regular file
 * (a serial port, a FIFO, /dev/null) is written in place.
 */
#ifndef CG_OUTPUT_H
#define CG_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cg_output {
	FILE *stream;
	const char *name;	/* as the user gave it */
	char target[PATH_MAX];	/* what the temporary file replaces: name, links followed */
	bool is_stdout;
	bool renamed_at_close;
};

/* 0, or -1 with why (nothing created). Only one named output at a time. */
int cg_output_open(struct cg_output *out, const char *name, char *why, size_t why_size);
/* Flushes, checks for write errors, closes and renames; 0, or -1 with why. */
int cg_output_close(struct cg_output *out, char *why, size_t why_size);

/* Flushes and closes stdout, so that a write error (a full disk) is seen; 0 or -errno. */
int cg_stdout_close(void);

/*
 * The value of --json-out: a file name, or - for stdout. An empty value, or
 * one that is an option given by mistake ("--json-out --list"), is refused
 * with the reason in why: -1; else 0.
 */
int cg_json_out_check(const char *value, char *why, size_t why_size);

#endif
