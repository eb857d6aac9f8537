#define _GNU_SOURCE
#include "cg_output.h"
#include "cli.h"
#include "cg_knob_hold.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 10000
#define MIN_TIMEOUT_MS     1
#define MAX_TIMEOUT_S      3600

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
"  --memory TYPE[,TYPE] memory types to run every row on (repeatable): memfd,\n"
"                      tmpfs; default both\n"
"  --tmpfs-dir DIR     tmpfs files in DIR (a directory on a tmpfs, e.g. /dev/shm)\n"
"                      instead of a private tmpfs mount\n"
"  --timeout SEC       bound of each wait (khugepaged, fault delivery), from\n"
"                      %g to %d; default %d\n"
"  --tap               TAP 13 (kselftest style) instead of the table\n"
"  --json              JSON instead of the table\n"
"  --json-out FILE     also write the JSON to FILE (e.g. /dev/ttyS1), whole or\n"
"                      not at all; - is stdout (instead of the table)\n"
"  --list              list scenarios (name, kind, what it does), paths and\n"
"                      memory types, then exit\n"
"  --kmsg              read /dev/kmsg: a kernel WARNING/BUG/lockdep report during\n"
"                      a cell makes it ERROR (for CONFIG_DEBUG_VM test kernels)\n"
"  -v, --verbose       progress on stderr\n"
"  -h, --help          this help\n"
"\n"
"The khugepaged path needs root: it sets shmem_enabled=advise and speeds up\n"
"khugepaged for the run, and restores every knob at exit or on a signal. It\n"
"records the old values in " CG_KNOB_RECORD " first (a run after a SIGKILL puts\n"
"them back) and holds " CG_KNOB_LOCK ": a second run waits for the first.\n"
"\n"
"TAP: ok for SAFE, COLLAPSED and SKIP (a # SKIP directive); not ok for\n"
"VULNERABLE and ERROR; a REFUSED control is \"not ok ... # TODO\", stricter than\n"
"needed but not unsafe. prove passes exactly when the exit status is 0:\n"
"  prove -v --exec '' collapse-check :: --tap\n"
"  collapse-check --tap > out.tap; prove -v --exec cat out.tap\n"
"\n"
"Memory types: every row runs on a memfd and on a file of a tmpfs. Without\n"
"--tmpfs-dir the tmpfs is a private mount (huge=advise, so that khugepaged may\n"
"collapse it), detached at once; without root /dev/shm. A path that does not\n"
"collapse a memory type at all (the no-uffd probe) SKIPs its cells of it.\n"
"Children forked by a row are reaped within the row.\n"
"\n"
"Exit status: 0 no safety or lifecycle row VULNERABLE, 1 one was VULNERABLE,\n"
"2 usage error, an ERROR cell (setup broken) or a report that could not be\n"
"written, without any VULNERABLE.\n",
		MIN_TIMEOUT_MS / 1000.0, MAX_TIMEOUT_S, DEFAULT_TIMEOUT_MS / 1000);
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
	printf("\nMemory types:\n");
	for (int t = 0; t < N_MEMORY_TYPES; t++)
		printf("  %-27s %s\n", memory_name((enum memory_type)t),
		       memory_description((enum memory_type)t));
}

/* The index of `name` among the choices of an option, or -1. */
typedef int (*choice_index)(const char *name);

static int path_index(const char *name)
{
	const struct collapse_path *p = collapse_path_find(name);

	return p ? (int)(p - collapse_paths) : -1;
}

static int memory_index(const char *name)
{
	enum memory_type type;

	return memory_find(name, &type) ? (int)type : -1;
}

/*
 * --OPTION NAME[,NAME...]: every name one of the option's choices; an empty
 * one ("", ",", "madv,") is an error.
 */
static void select_names(const char *option, const char *noun, const char *list,
			 choice_index find, bool chosen[])
{
	const char *name = list;
	char why[160];

	for (;;) {
		size_t len = strcspn(name, ",");
		char one[32];
		int index;

		if (!len) {
			format_into(why, sizeof(why), "--%s '%.40s': an empty %s name (see --list)",
				    option, list, noun);
			usage_error("%s", why);
		}
		format_into(one, sizeof(one), "%.*s", (int)len, name);
		index = len < sizeof(one) ? find(one) : -1;
		if (index < 0) {
			format_into(why, sizeof(why), "unknown %s '%s' (see --list)", noun, one);
			usage_error("%s", why);
		}
		chosen[index] = true;
		if (!name[len])
			return;
		name += len + 1;
	}
}

static void use_tmpfs_dir(const char *dir)
{
	char why[PATH_MAX + 80];

	if (!dir[0])
		usage_error("--tmpfs-dir needs a directory%s", "");
	if (memory_use_tmpfs_dir(dir, why, sizeof(why)))
		usage_error("--tmpfs-dir %s", why);
}

static long parse_timeout(const char *text)
{
	char *end;
	double seconds = strtod(text, &end);

	if (end == text || *end || !(seconds * 1000 >= MIN_TIMEOUT_MS) || seconds > MAX_TIMEOUT_S) {
		char why[128];

		format_into(why, sizeof(why), "bad --timeout '%.40s' (seconds, from %g to %d)", text,
			    MIN_TIMEOUT_MS / 1000.0, MAX_TIMEOUT_S);
		usage_error("%s", why);
	}
	return (long)(seconds * 1000);
}

void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_TAP = 256, OPT_JSON, OPT_JSON_OUT, OPT_LIST, OPT_PATH, OPT_MEMORY,
		OPT_TMPFS_DIR, OPT_TIMEOUT, OPT_KMSG,
	};
	static const struct option long_options[] = {
		{ "tap", no_argument, NULL, OPT_TAP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "json-out", required_argument, NULL, OPT_JSON_OUT },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "kmsg", no_argument, NULL, OPT_KMSG },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "tmpfs-dir", required_argument, NULL, OPT_TMPFS_DIR },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool path_chosen[MAX_PATHS] = { false }, any_path = false;
	bool memory_chosen[N_MEMORY_TYPES] = { false }, any_memory = false;
	bool scenario_chosen[MAX_SCENARIOS] = { false }, any_scenario = false;
	char why[160];
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
			if (cg_json_out_check(optarg, why, sizeof(why)))
				usage_error("%s", why);
			o->json_out = optarg;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_KMSG:
			o->kmsg = true;
			break;
		case OPT_PATH:
			select_names("path", "path", optarg, path_index, path_chosen);
			any_path = true;
			break;
		case OPT_MEMORY:
			select_names("memory", "memory type", optarg, memory_index, memory_chosen);
			any_memory = true;
			break;
		case OPT_TMPFS_DIR:
			use_tmpfs_dir(optarg);
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
	if (o->json_out && !strcmp(o->json_out, "-")) {
		/* The JSON takes stdout, in place of the table. */
		if (o->format == OUTPUT_TAP)
			usage_error("--json-out - and --tap both want stdout%s", "");
		o->format = OUTPUT_JSON;
		o->json_out = NULL;
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
	for (int t = 0; t < N_MEMORY_TYPES; t++)
		if (!any_memory || memory_chosen[t])
			o->memories[o->n_memories++] = (enum memory_type)t;
	for (size_t i = 0; i < n_scenarios && i < MAX_SCENARIOS; i++) {
		if (any_scenario && !scenario_chosen[i])
			continue;
		for (size_t m = 0; m < o->n_memories; m++)
			if (scenario_runs_on(&scenarios[i], o->memories[m]))
				o->rows[o->n_rows++] = (struct report_row){ &scenarios[i],
									    o->memories[m] };
	}
	if (!o->n_rows && !o->list)
		usage_error("no row of the chosen scenarios runs on the chosen memory%s", "");
}
