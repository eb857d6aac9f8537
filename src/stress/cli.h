/* Command line of collapse-stress. */
#ifndef STRESS_CLI_H
#define STRESS_CLI_H

#include <stdint.h>

struct options {
	int seconds;
	int procs;
	int readers;
	int workers;
	int armed_extents;
	int unarmed_extents;
	int scan_sleep_ms;
	int khugepaged;		/* tune khugepaged (needs root) */
	int json;		/* JSON line on stdout as well */
	const char *json_out;
	uint64_t seed;
	/* --pager-view */
	int pager_view;
	int rounds;		/* 0: as many as --seconds allows */
	int tap;		/* kselftest TAP instead of the text report */
	int pinned_one_in;	/* one round in N pins a page (0: none) */
	int trace;		/* each round's timeline on stderr */
	/* --faultinj */
	int faultinj;
	int fi_seconds;		/* random phase (task filter + make-it-fail) */
	int fi_max_nth;		/* cap of the fail-nth sweep per kind */
	int fi_probability;	/* percent, random phase */
	const char *fi_only;	/* only this kind (debugging) */
};

/* Returns 0 to run, 1 after --help, 2 on a usage error. */
int parse_options(int argc, char **argv, struct options *o);

#endif
