/*
 * collapse-race: races made to happen. Parks a MADV_COLLAPSE of a shmem
 * extent at a window of collapse_file() (debugfs collapse_park), runs one
 * racing action from the table in rows.c, releases, asserts the invariant.
 *
 * Exit: 0 no row failed, 1 a row failed, 2 usage error.
 */
#define _GNU_SOURCE
#include "cg_output.h"
#include "park.h"
#include "race.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_S  10
#define DEFAULT_WATCHDOG_S 300
#define STACK_PREFAULT     (512UL << 10)

struct options {
	bool tap;
	bool list;
	const char *json_out;
	long timeout_ms;
	unsigned watchdog_s;
	bool selected[64];
	bool any_selected;
};

/* Rows keep their context for the life of the process (see run_row). */
static struct race_ctx contexts[64];
static struct race_result results[64];
static bool tap_mode;

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [--tap] [--json-out FILE] [--timeout SEC] [--watchdog SEC]\n"
		"       %*s [--verbose] [--list] [ROW...]\n"
		"Parks a shmem MADV_COLLAPSE at a window of collapse_file() (debugfs\n"
		"collapse_park), races one action against it, releases it and checks\n"
		"the userfaultfd invariant. Needs root and CONFIG_DEBUG_COLLAPSE_PARK.\n"
		"  --tap            kselftest TAP output instead of the table\n"
		"  --json-out FILE  also write the JSON report to FILE (- for stdout)\n"
		"  --timeout SEC    bound of every wait (default %d)\n"
		"  --watchdog SEC   give up the whole run after SEC (default %d)\n"
		"  --list           list the rows and exit\n"
		"Exit: 0 no FAIL, 1 a row failed, 2 usage error.\n",
		prog, (int)strlen(prog), "", DEFAULT_TIMEOUT_S, DEFAULT_WATCHDOG_S);
}

static int select_row(struct options *opts, const char *name)
{
	for (size_t i = 0; i < race_rows_count; i++) {
		if (strcmp(race_rows[i].name, name) == 0) {
			opts->selected[i] = true;
			opts->any_selected = true;
			return 0;
		}
	}
	return -1;
}

static bool positive_number(const char *text, long max, long *value)
{
	char *end;

	errno = 0;
	*value = strtol(text, &end, 10);
	return !errno && end != text && !*end && *value > 0 && *value <= max;
}

static int parse_args(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "tap", no_argument, NULL, 't' },
		{ "json-out", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "watchdog", required_argument, NULL, 'W' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[160];
	long value;
	int c;

	opts->timeout_ms = DEFAULT_TIMEOUT_S * 1000L;
	opts->watchdog_s = DEFAULT_WATCHDOG_S;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opts->tap = true;
			break;
		case 'j':
			if (cg_json_out_check(optarg, why, sizeof(why))) {
				fprintf(stderr, "%s: %s\n", argv[0], why);
				return -1;
			}
			opts->json_out = optarg;
			break;
		case 'T':
			if (!positive_number(optarg, 3600, &value))
				goto bad;
			opts->timeout_ms = value * 1000;
			break;
		case 'W':
			if (!positive_number(optarg, 86400, &value))
				goto bad;
			opts->watchdog_s = (unsigned)value;
			break;
		case 'l':
			opts->list = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			goto bad;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (select_row(opts, argv[i])) {
			fprintf(stderr, "%s: unknown row \"%s\" (--list shows them)\n", argv[0], argv[i]);
			return -1;
		}
	}
	return 0;
bad:
	usage(stderr, argv[0]);
	return -1;
}

static void list_rows(void)
{
	for (size_t i = 0; i < race_rows_count; i++)
		printf("%-24s %-8s %-22s %s\n", race_rows[i].name, point_name(race_rows[i].point),
		       outcome_text(race_rows[i].outcome), race_rows[i].action);
}

/* Async-signal-safe: the way out when the whole run takes too long. */
static void watchdog(int sig)
{
	static const char bail[] = "Bail out! collapse-race: watchdog expired\n";
	static const char msg[] = "collapse-race: watchdog expired, collapse_park released\n";

	(void)sig;
	park_reset();
	if (tap_mode && write(STDOUT_FILENO, bail, sizeof(bail) - 1) < 0)
		_exit(1);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/*
 * The "guarded" rows park a registration that holds mmap_lock for write;
 * a page fault of this thread meanwhile would wait for it, and it waits for
 * this thread's release. So fault in the stack now and lock what is mapped.
 */
static void __attribute__((noinline)) prefault_stack(void)
{
	volatile char area[STACK_PREFAULT];

	for (size_t i = 0; i < sizeof(area); i += 4096)
		area[i] = 0;
}

static void pin_memory(void)
{
	prefault_stack();
	if (mlockall(MCL_CURRENT))
		note("mlockall: %s (a fault in a guarded row's window could stall it)",
		     errno_name(errno));
}

/* Why every row is skipped, or NULL. */
static const char *global_skip(char *why, size_t why_size)
{
	int uffd;

	if (page_size != PAGE_SIZE_SUPPORTED) {
		format_into(why, why_size, "page size %zu, only %d supported", page_size,
			    PAGE_SIZE_SUPPORTED);
		return why;
	}
	if (park_setup(why, why_size))
		return why;
	uffd = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
	if (uffd < 0) {
		format_into(why, why_size, "no userfaultfd (%s)", errno_name(-uffd));
		return why;
	}
	close(uffd);
	return NULL;
}

int main(int argc, char **argv)
{
	static char outbuf[BUFSIZ];
	struct options opts = { 0 };
	struct kernel_id kernel;
	char why[192] = "";
	const char *skip;
	size_t n = 0, failed = 0;
	struct cg_tap tap;

	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
	if (race_rows_count > sizeof(contexts) / sizeof(contexts[0]))
		return 2;
	if (parse_args(argc, argv, &opts))
		return 2;
	if (opts.list) {
		list_rows();
		return 0;
	}
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	tap_mode = opts.tap;
	kernel_identify(&kernel);
	skip = global_skip(why, sizeof(why));
	if (!skip) {
		park_reset();
		signal(SIGALRM, watchdog);
		alarm(opts.watchdog_s);
		pin_memory();
	}

	for (size_t i = 0; i < race_rows_count; i++)
		n += !opts.any_selected || opts.selected[i];
	if (opts.tap)
		report_tap_begin(&tap, stdout, &kernel, n);
	n = 0;
	for (size_t i = 0; i < race_rows_count; i++) {
		if (opts.any_selected && !opts.selected[i])
			continue;
		run_row(&race_rows[i], &contexts[i], opts.timeout_ms, skip, &results[n]);
		failed += results[n].verdict == CG_ROW_FAIL;
		if (opts.tap)
			report_tap_result(&tap, &results[n]);
		n++;
	}
	if (!skip) {
		alarm(0);
		park_disarm();
	}

	if (opts.tap)
		report_tap_end(&tap, results, n);
	else
		report_table(stdout, &kernel, results, n);
	if (opts.json_out && report_json(opts.json_out, &kernel, results, n, why, sizeof(why))) {
		fprintf(stderr, "collapse-race: --json-out %s\n", why);
		return 1;
	}
	return failed ? 1 : 0;
}
