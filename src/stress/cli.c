#define _GNU_SOURCE
#include "cg_output.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
"usage: collapse-stress [options]\n"
"\n"
"Stress of shmem THP collapse (MADV_COLLAPSE, khugepaged) against userfaultfd\n"
"MISSING registrations, with data integrity: every page read through an armed\n"
"mapping must hold the pager's content, never zeroes. Runs for --seconds and\n"
"stops by itself. Exit: 0 clean, 1 integrity violations (or failed checks in\n"
"--faultinj, a counter above 0 in --pager-view), 2 usage/set-up error, hang or\n"
"internal error.\n"
"\n"
"  --seconds N          duration of the stress (default 60)\n"
"  --procs N            processes, each with its pager and threads (default 2)\n"
"  --readers N          reader threads per process (default 2)\n"
"  --workers N          mapping churn threads per process (default 2)\n"
"  --armed-extents N    2 MiB extents of the armed range (default 8)\n"
"  --unarmed-extents N  2 MiB extents of the writers' range (default 4)\n"
"  --scan-sleep-ms N    khugepaged scan_sleep_millisecs (default 10)\n"
"  --no-khugepaged      leave the THP sysfs knobs alone\n"
"  --seed N             random seed (default: from the clock)\n"
"  --json               print the JSON report line on stdout too\n"
"  --json-out FILE      write the JSON report line to FILE\n"
"\n"
"  --pager-view         park-free statistical check of what a pager sees of a\n"
"                       MADV_COLLAPSE that races its registration, instead of\n"
"                       the stress: rounds of UFFDIO_REGISTER, lseek/mincore\n"
"                       and UFFDIO_COPY into holes while MADV_COLLAPSE runs,\n"
"                       counting EEXIST for an index that is a hole afterwards\n"
"                       and holes seen after registering, then filled; exit 0\n"
"                       only when both are 0 (docs/stress.md)\n"
"  --rounds N           --pager-view: stop after N rounds (default 0: run\n"
"                       until --seconds)\n"
"  --pinned-one-in N    --pager-view: in one round in N (at random) the pager\n"
"                       pins the extent's last populated page right before it\n"
"                       registers, so that a collapse past its scan fails near\n"
"                       its end for a reason of its own (default 4; 0: never)\n"
"  --tap                --pager-view: kselftest TAP instead of the text report\n"
"  --trace              --pager-view: each round's timeline on stderr\n"
"\n"
"  --faultinj           fault-injection mode instead of the stress: sweep\n"
"                       /proc/thread-self/fail-nth over collapse, register,\n"
"                       unregister, mprotect, munmap, mremap, fork and uffd\n"
"                       creation/close, then a random phase with the task\n"
"                       filter, then the final checks (needs debugfs and\n"
"                       CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC)\n"
"  --fi-seconds N       random phase length (default 20)\n"
"  --fi-max-nth N       cap of the sweep per kind (default 3000)\n"
"  --fi-probability P   percent, random phase (default 10)\n"
"  --fi-only KIND       only this kind of operation (e.g. fork, mremap)\n");
}

static int number(const char *opt, const char *arg, long min, long max, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (!*arg || *end || v < min || v > max) {
		fprintf(stderr, "collapse-stress: %s wants a number in [%ld, %ld], not '%s'\n",
			opt, min, max, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int parse_options(int argc, char **argv, struct options *o)
{
	enum { O_SECONDS = 256, O_PROCS, O_READERS, O_WORKERS, O_ARMED, O_UNARMED,
	       O_SCAN, O_NOKHUGE, O_SEED, O_JSON, O_JSON_OUT, O_FI, O_FI_SECONDS,
	       O_FI_NTH, O_FI_PROB, O_FI_ONLY, O_PAGER_VIEW, O_ROUNDS, O_TAP, O_PINNED, O_TRACE, O_HELP };
	static const struct option longs[] = {
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "procs", required_argument, NULL, O_PROCS },
		{ "readers", required_argument, NULL, O_READERS },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "armed-extents", required_argument, NULL, O_ARMED },
		{ "unarmed-extents", required_argument, NULL, O_UNARMED },
		{ "scan-sleep-ms", required_argument, NULL, O_SCAN },
		{ "no-khugepaged", no_argument, NULL, O_NOKHUGE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "json", no_argument, NULL, O_JSON },
		{ "json-out", required_argument, NULL, O_JSON_OUT },
		{ "faultinj", no_argument, NULL, O_FI },
		{ "fi-seconds", required_argument, NULL, O_FI_SECONDS },
		{ "fi-max-nth", required_argument, NULL, O_FI_NTH },
		{ "fi-probability", required_argument, NULL, O_FI_PROB },
		{ "fi-only", required_argument, NULL, O_FI_ONLY },
		{ "pager-view", no_argument, NULL, O_PAGER_VIEW },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "tap", no_argument, NULL, O_TAP },
		{ "pinned-one-in", required_argument, NULL, O_PINNED },
		{ "trace", no_argument, NULL, O_TRACE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char why[160];
	int c;
	long v;

	*o = (struct options){
		.seconds = 60, .procs = 2, .readers = 2, .workers = 2,
		.armed_extents = 8, .unarmed_extents = 4, .scan_sleep_ms = 10,
		.khugepaged = 1, .fi_seconds = 20, .fi_max_nth = 3000,
		.fi_probability = 10, .pinned_one_in = 4,
		.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32),
	};
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		const char *name = c >= O_SECONDS && c <= O_HELP ? longs[c - O_SECONDS].name : "";
		int *target = NULL;
		long min = 0, max = 0;

		switch (c) {
		case O_SECONDS: target = &o->seconds; min = 1; max = 86400; break;
		case O_PROCS: target = &o->procs; min = 1; max = 8; break;
		case O_READERS: target = &o->readers; min = 0; max = 16; break;
		case O_WORKERS: target = &o->workers; min = 0; max = 16; break;
		case O_ARMED: target = &o->armed_extents; min = 2; max = 256; break;
		case O_UNARMED: target = &o->unarmed_extents; min = 1; max = 256; break;
		case O_SCAN: target = &o->scan_sleep_ms; min = 0; max = 10000; break;
		case O_FI_SECONDS: target = &o->fi_seconds; min = 0; max = 3600; break;
		case O_FI_NTH: target = &o->fi_max_nth; min = 1; max = 100000; break;
		case O_FI_PROB: target = &o->fi_probability; min = 1; max = 100; break;
		case O_ROUNDS: target = &o->rounds; min = 0; max = 100000000; break;
		case O_PINNED: target = &o->pinned_one_in; min = 0; max = 1000000; break;
		case O_PAGER_VIEW: o->pager_view = 1; break;
		case O_TAP: o->tap = 1; break;
		case O_TRACE: o->trace = 1; break;
		case O_NOKHUGE: o->khugepaged = 0; break;
		case O_JSON: o->json = 1; break;
		case O_JSON_OUT:
			if (cg_json_out_check(optarg, why, sizeof(why))) {
				fprintf(stderr, "collapse-stress: %s\n", why);
				return 2;
			}
			o->json_out = optarg;
			break;
		case O_FI: o->faultinj = 1; break;
		case O_FI_ONLY: o->fi_only = optarg; break;
		case O_SEED:
			if (number("--seed", optarg, 0, __LONG_MAX__, &v))
				return 2;
			o->seed = (uint64_t)v;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
		if (target) {
			char opt[40];

			snprintf(opt, sizeof(opt), "--%s", name);
			if (number(opt, optarg, min, max, &v))
				return 2;
			*target = (int)v;
		}
	}
	if (o->pager_view && o->faultinj) {
		fprintf(stderr, "collapse-stress: --pager-view and --faultinj are two modes: one of them\n");
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "collapse-stress: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return 0;
}
