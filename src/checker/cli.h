/* Command line of collapse-check. */
#ifndef COLLAPSE_CHECK_CLI_H
#define COLLAPSE_CHECK_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "memory.h"
#include "paths.h"
#include "scenarios.h"

enum output_format { OUTPUT_TABLE, OUTPUT_TAP, OUTPUT_JSON };

#define MAX_PATHS     4
#define MAX_SCENARIOS 40
#define MAX_ROWS      (MAX_SCENARIOS * N_MEMORY_TYPES)

/* A row of the report: a scenario on one memory type. */
struct report_row {
	const struct scenario *scenario;
	enum memory_type memory;
};

struct options {
	enum output_format format;
	const char *json_out;
	long timeout_ms;
	bool list;
	bool kmsg;
	const struct collapse_path *paths[MAX_PATHS];	/* in table order */
	size_t n_paths;
	enum memory_type memories[N_MEMORY_TYPES];	/* in table order */
	size_t n_memories;
	struct report_row rows[MAX_ROWS];	/* each scenario, then each memory type */
	size_t n_rows;
};

#define EXIT_USAGE 2

/* Exits with EXIT_USAGE on bad usage, 0 after --help. */
void parse_options(int argc, char **argv, struct options *options);
void print_list(void);

#endif
