#define _GNU_SOURCE
#include "cli.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 10000

static void usage(FILE *out)
{
	fprintf(out,
"Usage: collapse-check [options] [SCENARIO...]\n"
"\n"
"Checks that THP collapse of shmem (MADV_COLLAPSE, khugepaged) never fills a\n"
"hole that a userfaultfd MISSING registration still expects to fault on.\n"
"Safety rows are SAFE or VULNERABLE, controls COLLAPSED or REFUSED; a cell may\n"
"also be SKIP or ERROR with a reason. Default: every scenario, every path.\n"
"\n"
"Lifecycle rows take armed VMAs through split/merge, mremap, fork, munmap, exit\n"
"and mode changes, collapsing a fresh extent after each step: their cell is\n"
"SAFETY/CONTROL, e.g. SAFE/COLLAPSED: SAFE when every armed hole survived\n"
"(VULNERABLE if one was zero-filled), COLLAPSED when every extent that no\n"
"armed VMA maps any more collapsed (REFUSED if one did not). Which step failed\n"
"is in the footnote, TAP and JSON (\"steps\"). Rows that need a uffd feature\n"
"(EVENT_FORK, EVENT_REMAP, MINOR_SHMEM, WP_HUGETLBFS_SHMEM) SKIP without it.\n"
"\n"
"Options:\n"
"  --path NAME[,NAME]  collapse paths to run (repeatable): madv_collapse (alias\n"
"                      madv), khugepaged\n"
"  --timeout SEC       bound of each wait (khugepaged, fault delivery); default %d\n"
"  --tap               TAP 13 (kselftest style) instead of the table\n"
"  --json              JSON instead of the table\n"
"  --json-out FILE     also write the JSON to FILE (e.g. /dev/ttyS1)\n"
"  --list              list scenarios and paths, then exit\n"
"  --kmsg              read /dev/kmsg: a kernel WARNING/BUG/lockdep report during\n"
"                      a cell makes it ERROR (for CONFIG_DEBUG_VM test kernels)\n"
"  -v, --verbose       progress on stderr\n"
"  -h, --help          this help\n"
"\n"
"The khugepaged path needs root: it sets shmem_enabled=advise and speeds up\n"
"khugepaged for the run, and restores every knob at exit or on a signal.\n"
"\n"
"TAP through prove:  prove -v --exec '' collapse-check :: --tap\n"
"             or:    collapse-check --tap > out.tap; prove -v --exec cat out.tap\n"
"\n"
"tmpfs-other-vma mounts a private tmpfs (root), detached at once; without\n"
"root it uses /dev/shm. Children forked by a row are reaped within the row.\n"
"\n"
"Exit status: 0 no safety or lifecycle row VULNERABLE, 1 one was VULNERABLE,\n"
"2 usage error or an ERROR cell (setup broken) without any VULNERABLE.\n",
		DEFAULT_TIMEOUT_MS / 1000);
}

static void __attribute__((noreturn)) usage_error(const char *fmt, const char *arg)
{
	fputs("collapse-check: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n\n", stderr);
	usage(stderr);
	exit(EXIT_USAGE);
}

void print_list(void)
{
	printf("Scenarios:\n");
	for (size_t i = 0; i < n_scenarios; i++)
		printf("  %-17s %-9s %s\n", scenarios[i].name, kind_name(scenarios[i].kind),
		       scenarios[i].description);
	printf("\nPaths:\n");
	for (size_t i = 0; i < n_collapse_paths; i++)
		printf("  %-27s %s%s%s\n", collapse_paths[i].name, collapse_paths[i].description,
		       collapse_paths[i].alias ? "; alias " : "",
		       collapse_paths[i].alias ? collapse_paths[i].alias : "");
}

static void select_paths(const char *list, bool chosen[])
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		usage_error("out of memory%s", "");
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const struct collapse_path *p = collapse_path_find(name);

		if (!p)
			usage_error("unknown path '%s'", name);
		chosen[p - collapse_paths] = true;
	}
	free(copy);
}

static long parse_timeout(const char *text)
{
	char *end;
	double seconds = strtod(text, &end);

	if (end == text || *end || !(seconds > 0) || seconds > 3600)
		usage_error("bad --timeout '%s' (seconds, > 0)", text);
	return (long)(seconds * 1000);
}

void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_TAP = 256, OPT_JSON, OPT_JSON_OUT, OPT_LIST, OPT_PATH, OPT_TIMEOUT, OPT_KMSG };
	static const struct option long_options[] = {
		{ "tap", no_argument, NULL, OPT_TAP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "json-out", required_argument, NULL, OPT_JSON_OUT },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "kmsg", no_argument, NULL, OPT_KMSG },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool path_chosen[MAX_PATHS] = { false }, any_path = false;
	bool scenario_chosen[MAX_SCENARIOS] = { false }, any_scenario = false;
	int opt;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "vh", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_TAP:
		case OPT_JSON:
			if (o->format != OUTPUT_TABLE)
				usage_error("--tap and --json exclude each other%s", "");
			o->format = opt == OPT_TAP ? OUTPUT_TAP : OUTPUT_JSON;
			break;
		case OPT_JSON_OUT:
			o->json_out = optarg;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_KMSG:
			o->kmsg = true;
			break;
		case OPT_PATH:
			select_paths(optarg, path_chosen);
			any_path = true;
			break;
		case OPT_TIMEOUT:
			o->timeout_ms = parse_timeout(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		const struct scenario *s = scenario_find(argv[i]);

		if (!s)
			usage_error("unknown scenario '%s' (see --list)", argv[i]);
		scenario_chosen[s - scenarios] = true;
		any_scenario = true;
	}
	for (size_t i = 0; i < n_collapse_paths && i < MAX_PATHS; i++)
		if (!any_path || path_chosen[i])
			o->paths[o->n_paths++] = &collapse_paths[i];
	for (size_t i = 0; i < n_scenarios && i < MAX_SCENARIOS; i++)
		if (!any_scenario || scenario_chosen[i])
			o->scenarios[o->n_scenarios++] = &scenarios[i];
}
