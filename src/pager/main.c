/*
 * collapse-pager: a real pager end to end. QEMU's post-copy live migration
 * of memfd guest RAM, with a backend process that maps the destination's
 * memfd and asks for THP collapse of it while post-copy fills it through
 * userfaultfd. See docs/real-pager.md.
 */
#define _GNU_SOURCE
#include "cg_output.h"
#include "backend.h"
#include "cg_json.h"
#include "cg_tap.h"
#include "migrate.h"
#include "cg_thp_knobs.h"
#include "cg_util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool verbose;
const char cg_prog_name[] = "collapse-pager";

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_SKIP 4

#define MAX_RUNS 100
#define MAX_DELAYS 32
/* The pattern starts one extent into guest RAM: its extents are the memfd's. */
#define PATTERN_OFFSET CG_EXTENT_SIZE

static void usage(FILE *out)
{
	fprintf(out,
"Usage: collapse-pager [run] [options]\n"
"       collapse-pager backend --pid PID [options]\n"
"\n"
"run (the default): migrates a paused QEMU VM whose RAM is a shared memfd\n"
"holding a known pattern to a second QEMU on this machine, with post-copy\n"
"started at once. Once the destination is in post-copy, a backend process\n"
"maps the destination's memfd and asks for THP collapse of it (MADV_HUGEPAGE\n"
"twice for khugepaged, and a MADV_COLLAPSE loop). A run passes when both\n"
"sides report `completed`, the destination's RAM is the source's byte for\n"
"byte and QEMU printed no postcopy_place_page error. A first control run\n"
"without the backend must pass, or nothing is judged (ERROR).\n"
"\n"
"Options of run:\n"
"  --runs N           runs with the backend (default 5)\n"
"  --delays MS,...    backend start after post-copy began, cycled over the\n"
"                     runs (default 0,100,200,400,800)\n"
"  --no-control       leave out the control run\n"
"  --mode MODE        both (default), madv_collapse, khugepaged\n"
"  --ram-mib N        guest RAM and memfd size, even, >= 8 (default 64)\n"
"  --bandwidth-mib N  cap of the migration stream in MiB/s, 0 for none\n"
"                     (default 24: a run lasts seconds even on a fast host)\n"
"  --qemu PATH        QEMU binary (default qemu-system-x86_64 from PATH)\n"
"  --timeout SEC      bound of one migration (default 60); a migration still\n"
"                     running then is a FAIL, like one that stopped\n"
"  --start-timeout SEC  bound of QEMU's start-up (default 60)\n"
"  --pause-ms MS      backend's pause between MADV_COLLAPSE passes (default 2)\n"
"  --workdir DIR      where each run's sockets and files go (default /tmp)\n"
"  --keep             keep each run's folder (QEMU stderr, backend report)\n"
"  --tap              TAP 13 (kselftest style) instead of the summary\n"
"  --json-out FILE    write the JSON report to FILE (e.g. /dev/ttyS1)\n"
"  -v, --verbose      progress on stderr\n"
"\n"
"Options of backend:\n"
"  --pid PID          process whose memfd to map (the destination QEMU)\n"
"  --fd N             its fd number (default: the largest memfd it has open)\n"
"  --mode MODE        both (default), madv_collapse, khugepaged\n"
"  --delay-ms MS      wait before mapping (default 0)\n"
"  --duration-ms MS   stop after MS (default: at SIGTERM, SIGINT or SIGHUP)\n"
"  --pause-ms MS      pause between MADV_COLLAPSE passes (default 2)\n"
"  --json-out FILE    its report (default stdout)\n"
"  --census           at the end, read one byte of each extent and count the\n"
"                     huge ones (kpageflags; only where no fault is awaited)\n"
"\n"
"The khugepaged part needs root: it sets shmem_enabled=advise and speeds up\n"
"khugepaged while the backend runs, and restores every knob when it stops,\n"
"on an error or a signal; run also checks the knobs after every run.\n"
"\n"
"Exit status: 0 every run passed, 1 a run failed, 2 usage error or a run\n"
"that could not be judged (ERROR), 4 skipped (no QEMU).\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("collapse-pager: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see collapse-pager --help)\n", stderr);
	exit(EXIT_USAGE);
}

static long parse_long(const char *opt, const char *text, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		usage_error("%s: '%s' is not a number from %ld to %ld", opt, text, min, max);
	return v;
}

static enum collapse_mode parse_mode(const char *text, bool none_ok)
{
	int m = mode_by_name(text);

	if (m < 0 || (m == MODE_NONE && !none_ok))
		usage_error("--mode: '%s' is not both, madv_collapse or khugepaged", text);
	return (enum collapse_mode)m;
}

/* ---- backend ---- */

static int main_backend(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "fd", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "duration-ms", required_argument, NULL, 'D' },
		{ "pause-ms", required_argument, NULL, 'P' },
		{ "json-out", required_argument, NULL, 'j' },
		{ "census", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct backend_opts o = { .pid = -1, .fd = -1, .mode = MODE_BOTH, .pause_ms = 2 };
	char why[160];
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (opt) {
		case 'p': o.pid = (pid_t)parse_long("--pid", optarg, 1, INT_MAX); break;
		case 'f': o.fd = (int)parse_long("--fd", optarg, 0, INT_MAX); break;
		case 'm': o.mode = parse_mode(optarg, true); break;
		case 'd': o.delay_ms = parse_long("--delay-ms", optarg, 0, 3600000); break;
		case 'D': o.duration_ms = parse_long("--duration-ms", optarg, 1, 86400000); break;
		case 'P': o.pause_ms = parse_long("--pause-ms", optarg, 0, 60000); break;
		case 'j':
			if (cg_json_out_check(optarg, why, sizeof(why)))
				usage_error("%s", why);
			o.json_out = optarg;
			break;
		case 'c': o.census = true; break;
		case 'h': usage(stdout); return 0;
		default: usage_error("backend: unknown option");
		}
	}
	if (optind < argc)
		usage_error("backend: unexpected argument '%s'", argv[optind]);
	if (o.pid < 0)
		usage_error("backend: --pid is required");
	if (kill(o.pid, 0) && errno == ESRCH)
		usage_error("backend: no process %d", (int)o.pid);
	if ((o.mode == MODE_BOTH || o.mode == MODE_KHUGEPAGED) && geteuid())
		usage_error("backend: --mode %s needs root (khugepaged knobs); try madv_collapse",
			    mode_names[o.mode]);
	return backend_main(&o);
}

/* ---- run ---- */

/* Counts by errno name, summed over the runs' backend reports. */
struct tally {
	char names[32][24];
	long long n[32];
	int count;
};

static const char *const states[] = { "empty", "partial", "full" };
#define N_STATES 3

struct totals {
	long long calls, collapsed, over_holes, refused;
	struct tally by_errno;
	long long state_calls[N_STATES], state_collapsed[N_STATES];
	struct tally state_refused[N_STATES];
};

static void tally_add(struct tally *t, const char *name, long long n)
{
	int i;

	for (i = 0; i < t->count; i++)
		if (!strcmp(t->names[i], name))
			break;
	if (i == t->count) {
		if (t->count == 32)
			return;
		format_into(t->names[t->count++], sizeof(t->names[0]), "%s", name);
	}
	t->n[i] += n;
}

/* Adds the {"NAME": N, ...} object after "key" (from `from` on) to t. */
static void tally_add_table(struct tally *t, const char *from, const char *key)
{
	char pattern[48];
	const char *p;

	format_into(pattern, sizeof(pattern), "\"%s\": {", key);
	p = strstr(from, pattern);
	if (!p)
		return;
	p += strlen(pattern);
	while (*p && *p != '}') {
		char name[24], *next;
		const char *q = strchr(p, '"'), *e;
		long long n;

		if (!q)
			return;
		e = strchr(q + 1, '"');
		if (!e || e[1] != ':')
			return;
		format_into(name, sizeof(name), "%.*s", (int)(e - q - 1), q + 1);
		n = strtoll(e + 2, &next, 10);
		tally_add(t, name, n);
		for (p = next; *p == ',' || *p == ' '; p++)
			;
	}
}

static void tally_text(const struct tally *t, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < t->count; i++)
		if (t->n[i])
			append_sep(buf, size, "%s %lld", strcmp(t->names[i], "0") ? t->names[i] :
				   "success", t->n[i]);
}

/* The most frequent name, or NULL. */
static const char *tally_top(const struct tally *t)
{
	const char *name = NULL;
	long long best = 0;

	for (int i = 0; i < t->count; i++)
		if (t->n[i] > best) {
			best = t->n[i];
			name = t->names[i];
		}
	return name;
}

static void add_backend(struct totals *t, const char *json)
{
	const char *by_state;
	long long v;

	if (!json)
		return;
	if (!cg_json_get_number(json, "calls", &v))
		t->calls += v;
	if (!cg_json_get_number(json, "collapsed", &v))
		t->collapsed += v;
	if (!cg_json_get_number(json, "collapsed_over_holes", &v))
		t->over_holes += v;
	if (!cg_json_get_number(json, "refused_over_holes", &v))
		t->refused += v;
	tally_add_table(&t->by_errno, json, "errnos");
	by_state = strstr(json, "\"by_state\"");
	for (int i = 0; by_state && i < N_STATES; i++) {
		char key[32];
		const char *at;

		format_into(key, sizeof(key), "\"%s\": {", states[i]);
		at = strstr(by_state, key);
		if (!at)
			continue;
		if (!cg_json_get_number(at, "calls", &v))
			t->state_calls[i] += v;
		if (!cg_json_get_number(at, "collapsed", &v))
			t->state_collapsed[i] += v;
		tally_add_table(&t->state_refused[i], at, "refused");
	}
}

/* One paragraph on what the backends' MADV_COLLAPSE calls did. */
static void totals_text(const struct totals *t, char *buf, size_t size)
{
	static const char *const what[N_STATES] = {
		"empty extents", "extents with holes and pages", "full extents",
	};
	char list[256];

	tally_text(&t->by_errno, list, sizeof(list));
	format_into(buf, size, "backend: %lld MADV_COLLAPSE calls [%s]", t->calls, list);
	for (int i = N_STATES; i-- > 0;) {
		if (!t->state_calls[i])
			continue;
		tally_text(&t->state_refused[i], list, sizeof(list));
		append_to(buf, size, "; %s: %lld collapsed, %lld refused%s%s%s", what[i],
			  t->state_collapsed[i], t->state_calls[i] - t->state_collapsed[i],
			  list[0] ? " [" : "", list, list[0] ? "]" : "");
	}
}

static void run_label(const struct run_result *r, char *buf, size_t size)
{
	if (r->control)
		format_into(buf, size, "run %d (control, no backend)", r->index);
	else
		format_into(buf, size, "run %d (backend %ld ms after post-copy began)", r->index,
			    r->delay_ms);
}

static void run_line(const struct run_result *r, char *buf, size_t size)
{
	if (r->verdict != CG_ROW_PASS) {
		format_into(buf, size, "%s", r->reason);
		return;
	}
	format_into(buf, size, "completed in %.1f s (post-copy from %.2f s), RAM identical",
		    r->migrate_ms / 1000.0, r->postcopy_at_ms / 1000.0);
	if (r->backend_json) {
		struct totals t = { 0 };
		char text[768];

		add_backend(&t, r->backend_json);
		totals_text(&t, text, sizeof(text));
		append_sep(buf, size, "%s", text);
	}
	if (r->after_json) {
		long long huge = 0, extents = 0;

		cg_json_get_number(r->after_json, "huge_extents", &huge);
		cg_json_get_number(r->after_json, "extents", &extents);
		append_sep(buf, size, "after the migration %lld of %lld extents huge", huge,
			   extents);
	}
}

static void json_diff(struct cg_json *j, const char *key, const struct run_result *r,
		      const struct ram_diff *d)
{
	if (!r->compared) {
		cg_json_null(j, key);
		return;
	}
	cg_json_object(j, key);
	cg_json_uint(j, "pages", d->pages);
	cg_json_uint(j, "zeroed", d->zeroed);
	cg_json_int(j, "first", d->first);
	cg_json_end(j);
}

static const char *text_or_null(const char *text)
{
	return text[0] ? text : NULL;
}

static void json_run(struct cg_json *j, const struct run_result *r)
{
	cg_json_newline(j, 4);
	cg_json_object(j, NULL);
	cg_json_int(j, "index", r->index);
	cg_json_bool(j, "control", r->control);
	if (r->control)
		cg_json_null(j, "delay_ms");
	else
		cg_json_int(j, "delay_ms", r->delay_ms);
	cg_json_string(j, "verdict", cg_row_verdict_name(r->verdict));
	cg_json_string(j, "reason", text_or_null(r->reason));
	cg_json_newline(j, 5);
	cg_json_string(j, "source_status", r->src_status);
	cg_json_string(j, "destination_status", r->dst_status);
	cg_json_string(j, "error_desc", text_or_null(r->error_desc));
	cg_json_newline(j, 5);
	cg_json_int(j, "migrate_ms", r->migrate_ms);
	cg_json_int(j, "postcopy_at_ms", r->postcopy_at_ms);
	cg_json_int(j, "backend_at_ms", r->backend_at_ms);
	cg_json_int(j, "total_ms", r->total_ms);
	cg_json_int(j, "transferred", r->transferred);
	cg_json_int(j, "postcopy_bytes", r->postcopy_bytes);
	cg_json_int(j, "postcopy_requests", r->postcopy_requests);
	cg_json_newline(j, 5);
	json_diff(j, "ram_vs_pattern", r, &r->vs_pattern);
	json_diff(j, "ram_vs_source", r, &r->vs_source);
	cg_json_newline(j, 5);
	cg_json_string(j, "place_page_error", text_or_null(r->place_page));
	cg_json_string(j, "destination_stderr", text_or_null(r->stderr_tail));
	cg_json_newline(j, 5);
	cg_json_string(j, "knobs_left_changed", text_or_null(r->knobs));
	cg_json_string(j, "backend_exit", text_or_null(r->backend_exit));
	cg_json_newline(j, 5);
	cg_json_raw(j, "backend", r->backend_json ? r->backend_json : "null");
	cg_json_newline(j, 5);
	cg_json_raw(j, "after", r->after_json ? r->after_json : "null");
	cg_json_end(j);
}

/* The row of the main job's table: scenario qemu-postcopy, path the backend's mode. */
static void json_row(struct cg_json *j, const char *mode, const char *verdict,
		     bool with_control, const char *madv_errno, const char *detail)
{
	cg_json_object(j, "row");
	cg_json_string(j, "scenario", "qemu-postcopy");
	cg_json_string(j, "kind", "end-to-end");
	cg_json_string(j, "path", mode);
	cg_json_string(j, "verdict", verdict);
	if (with_control)
		cg_json_null(j, "control");
	cg_json_string(j, "madv_errno", madv_errno);
	cg_json_string(j, "detail", detail);
	cg_json_end(j);
}

/* Knob values before the runs: each run must leave them as they were. */
struct knob_snapshot {
	char value[8][32];
	bool readable[8];
};

static void snapshot_knobs(struct knob_snapshot *s)
{
	for (unsigned i = 0; i < cg_n_khugepaged_knobs && i < 8; i++)
		s->readable[i] = !cg_knob_read(cg_khugepaged_knobs[i].path, s->value[i],
					       sizeof(s->value[i]));
}

/* Puts back a knob the run left changed; says which in r->knobs. */
static bool check_knobs(const struct knob_snapshot *s, struct run_result *r)
{
	bool clean = true;

	for (unsigned i = 0; i < cg_n_khugepaged_knobs && i < 8; i++) {
		char now[32];

		if (!s->readable[i] || cg_knob_read(cg_khugepaged_knobs[i].path, now, sizeof(now)) ||
		    !strcmp(now, s->value[i]))
			continue;
		append_sep(r->knobs, sizeof(r->knobs), "%s was %s, left %s (put back)",
			   cg_khugepaged_knobs[i].path, s->value[i], now);
		cg_knob_write(cg_khugepaged_knobs[i].path, s->value[i]);
		clean = false;
	}
	return clean;
}

struct run_opts {
	struct run_config cfg;
	int runs;
	long delays[MAX_DELAYS];
	int n_delays;
	bool control;
	bool tap;
	const char *json_out;
};

static const char *find_in_path(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : name;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		format_into(buf, size, "%.*s/%s", (int)len, path, name);
		if (len && !access(buf, X_OK))
			return buf;
		path += len + (path[len] == ':');
	}
	return NULL;
}

static void on_interrupt(int sig)
{
	(void)sig;
	migration_interrupted = 1;
}

static int main_run(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "runs", required_argument, NULL, 'n' },
		{ "delays", required_argument, NULL, 'd' },
		{ "no-control", no_argument, NULL, 'C' },
		{ "mode", required_argument, NULL, 'm' },
		{ "ram-mib", required_argument, NULL, 'r' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "bandwidth-mib", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "start-timeout", required_argument, NULL, 'T' },
		{ "pause-ms", required_argument, NULL, 'P' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "keep", no_argument, NULL, 'k' },
		{ "tap", no_argument, NULL, 'a' },
		{ "json-out", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct run_result results[MAX_RUNS + 1];
	static const long default_delays[] = { 0, 100, 200, 400, 800 };
	struct run_opts o = {
		.cfg = { .qemu = "qemu-system-x86_64", .ram = 64UL << 20,
			 .pattern_offset = PATTERN_OFFSET, .bandwidth = 24LL << 20,
			 .timeout_ms = 60000,
			 .start_timeout_ms = 60000, .mode = MODE_BOTH, .pause_ms = 2 },
		.runs = 5, .control = true,
	};
	char qemu_buf[PATH_MAX], self[PATH_MAX], workdir[PATH_MAX], pattern[PATH_MAX + 16];
	char why[160];
	const char *workbase = "/tmp", *verdict_name, *refusal;
	struct knob_snapshot knobs = { 0 };
	struct cg_tap tap = { .out = NULL };
	struct totals tot = { 0 };
	int opt, n = 0, failed = 0, errors = 0, passed = 0, rc;
	bool control_ok = true, knobs_clean = true;
	long long after_huge = 0, after_extents = 0;
	long long start = now_ms();
	char detail[3072] = "", errnos[1024];
	ssize_t len;
	FILE *out;

	memcpy(o.delays, default_delays, sizeof(default_delays));
	o.n_delays = sizeof(default_delays) / sizeof(default_delays[0]);
	while ((opt = getopt_long(argc, argv, "vh", longs, NULL)) != -1) {
		switch (opt) {
		case 'n': o.runs = (int)parse_long("--runs", optarg, 0, MAX_RUNS); break;
		case 'd': {
			char *list = strdup(optarg), *tok, *save = NULL;

			o.n_delays = 0;
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (o.n_delays == MAX_DELAYS)
					usage_error("--delays: at most %d values", MAX_DELAYS);
				o.delays[o.n_delays++] = parse_long("--delays", tok, 0, 600000);
			}
			free(list);
			if (!o.n_delays)
				usage_error("--delays: '%s' has no value", optarg);
			break;
		}
		case 'C': o.control = false; break;
		case 'm': o.cfg.mode = parse_mode(optarg, false); break;
		case 'r': {
			long mib = parse_long("--ram-mib", optarg, 8, 4096);

			if (mib % 2)
				usage_error("--ram-mib: %ld is odd (whole 2 MiB extents)", mib);
			o.cfg.ram = (size_t)mib << 20;
			break;
		}
		case 'q': o.cfg.qemu = optarg; break;
		case 'b': o.cfg.bandwidth =
				(long long)parse_long("--bandwidth-mib", optarg, 0, 100000) << 20; break;
		case 't': o.cfg.timeout_ms = parse_long("--timeout", optarg, 1, 86400) * 1000; break;
		case 'T': o.cfg.start_timeout_ms =
				parse_long("--start-timeout", optarg, 1, 86400) * 1000; break;
		case 'P': o.cfg.pause_ms = parse_long("--pause-ms", optarg, 0, 60000); break;
		case 'w': workbase = optarg; break;
		case 'k': o.cfg.keep = true; break;
		case 'a': o.tap = true; break;
		case 'j':
			if (cg_json_out_check(optarg, why, sizeof(why)))
				usage_error("%s", why);
			o.json_out = optarg;
			break;
		case 'v': o.cfg.verbose = verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage_error("unknown option");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!o.runs && !o.control)
		usage_error("--runs 0 with --no-control leaves nothing to run");
	if (o.cfg.mode != MODE_MADV_COLLAPSE && geteuid())
		usage_error("--mode %s needs root (khugepaged knobs); try --mode madv_collapse",
			    mode_names[o.cfg.mode]);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		usage_error("cannot find this program: /proc/self/exe: %s", errno_name(errno));
	self[len] = '\0';
	o.cfg.self_exe = self;

	const char *qemu = find_in_path(o.cfg.qemu, qemu_buf, sizeof(qemu_buf));

	if (!qemu) {
		if (o.tap)
			cg_tap_skip_all(stdout, o.cfg.qemu, "not found");
		fprintf(stderr, "collapse-pager: SKIP: %s not found\n", o.cfg.qemu);
		out = o.json_out ? fopen(o.json_out, "we") : NULL;
		if (out) {
			struct cg_json j;

			format_into(qemu_buf, sizeof(qemu_buf), "%s not found", o.cfg.qemu);
			cg_json_report_begin(&j, out, true, "collapse-pager");
			cg_json_int(&j, "version", 1);
			cg_json_string(&j, "verdict", "SKIP");
			json_row(&j, mode_names[o.cfg.mode], "SKIP", false, NULL, qemu_buf);
			cg_json_finish(&j);
			fclose(out);
		}
		return EXIT_SKIP;
	}
	o.cfg.qemu = qemu;
	format_into(workdir, sizeof(workdir), "%s/collapse-pager.XXXXXX", workbase);
	if (!mkdtemp(workdir))
		usage_error("cannot create a folder in %s: %s", workbase, errno_name(errno));
	o.cfg.workdir = workdir;
	format_into(pattern, sizeof(pattern), "%s/pattern", workdir);
	rc = pattern_write_file(pattern, o.cfg.ram - o.cfg.pattern_offset);
	if (rc)
		usage_error("cannot write %s: %s", pattern, errno_name(-rc));
	/*
	 * A signal ends the current run and skips the rest; should we die
	 * anyway, the QEMUs get SIGKILL and the backend SIGTERM (it then
	 * restores its knobs itself).
	 */
	signal(SIGPIPE, SIG_IGN);
	catch_stop_signals(on_interrupt);
	snapshot_knobs(&knobs);

	if (o.tap) {
		cg_tap_start(&tap, stdout, (size_t)(o.runs + o.control));
		cg_tap_diag(&tap, "collapse-pager: kernel %s, %s, %zu MiB memfd RAM, backend mode %s",
			    cg_kernel_release(), qemu, o.cfg.ram >> 20, mode_names[o.cfg.mode]);
	}
	for (int i = 0; i < o.runs + o.control && !migration_interrupted; i++) {
		struct run_result *r = &results[n++];
		char label[96], line[1536];

		r->index = i + 1;
		r->control = o.control && i == 0;
		r->delay_ms = r->control ? 0 : o.delays[(i - o.control) % o.n_delays];
		run_migration(&o.cfg, r);
		if (!check_knobs(&knobs, r)) {
			knobs_clean = false;
			if (r->verdict != CG_ROW_FAIL)
				r->verdict = CG_ROW_ERROR;
			append_sep(r->reason, sizeof(r->reason), "knobs left changed: %s", r->knobs);
		}
		run_label(r, label, sizeof(label));
		run_line(r, line, sizeof(line));
		if (o.tap) {
			char description[sizeof(label) + sizeof(line) + 16];

			format_into(description, sizeof(description), "%s: %s%s", label,
				    r->verdict == CG_ROW_ERROR ? "ERROR " : "", line);
			cg_tap_line(&tap, r->verdict == CG_ROW_PASS, description);
		} else {
			printf("%-45s %-5s %s\n", label, cg_row_verdict_name(r->verdict), line);
		}
		fflush(stdout);
		if (r->after_json) {
			long long v;

			if (!cg_json_get_number(r->after_json, "huge_extents", &v) && v >= 0)
				after_huge += v;
			if (!cg_json_get_number(r->after_json, "extents", &v))
				after_extents += v;
		}
		if (r->control) {
			control_ok = r->verdict == CG_ROW_PASS;
			continue;
		}
		add_backend(&tot, r->backend_json);
		if (r->verdict == CG_ROW_PASS)
			passed++;
		else if (r->verdict == CG_ROW_FAIL)
			failed++;
		else
			errors++;
	}

	if (!control_ok) {
		verdict_name = "ERROR";
		rc = EXIT_USAGE;
		format_into(detail, sizeof(detail), "the control run (no backend) did not pass, "
			    "nothing is judged: %s", results[0].reason);
	} else if (failed) {
		verdict_name = "FAIL";
		rc = EXIT_FAIL;
		format_into(detail, sizeof(detail), "%d of %d runs failed", failed, o.runs);
		for (int i = 0; i < n; i++)
			if (results[i].verdict == CG_ROW_FAIL)
				append_sep(detail, sizeof(detail), "run %d (backend +%ld ms): %s",
					   results[i].index, results[i].delay_ms, results[i].reason);
	} else if (errors) {
		verdict_name = "ERROR";
		rc = EXIT_USAGE;
		format_into(detail, sizeof(detail), "%d of %d runs could not be judged", errors,
			    o.runs);
		for (int i = 0; i < n; i++)
			if (results[i].verdict == CG_ROW_ERROR)
				append_sep(detail, sizeof(detail), "run %d: %s", results[i].index,
					   results[i].reason);
	} else {
		verdict_name = "PASS";
		rc = EXIT_PASS;
		format_into(detail, sizeof(detail), "%d of %d runs completed with the source's RAM",
			    passed, o.runs);
	}
	totals_text(&tot, errnos, sizeof(errnos));
	if (o.runs)
		append_sep(detail, sizeof(detail), "%s", errnos);
	if (after_extents)
		append_sep(detail, sizeof(detail), "after the migrations, MADV_COLLAPSE made %lld "
			   "of %lld extents huge", after_huge, after_extents);
	/*
	 * The table's errno: how the kernel refused extents with holes and
	 * pages, when it refused more of them than it collapsed.
	 */
	refusal = tally_top(&tot.state_refused[1]);
	for (int i = 0; refusal && i < tot.state_refused[1].count; i++)
		if (!strcmp(tot.state_refused[1].names[i], refusal) &&
		    tot.state_refused[1].n[i] <= tot.state_collapsed[1])
			refusal = NULL;

	if (o.tap)
		printf("# totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:%d\n",
		       passed + (o.control && control_ok), failed, errors + !control_ok);
	printf("# qemu-postcopy: %s: ", verdict_name);
	cg_tap_put_text(stdout, detail);
	printf("\n# total %.1f s\n", (now_ms() - start) / 1000.0);
	if (o.tap)
		cg_tap_end(&tap);
	fflush(stdout);

	if (o.json_out) {
		out = fopen(o.json_out, "we");
		if (!out) {
			fprintf(stderr, "collapse-pager: cannot write %s: %s\n", o.json_out,
				errno_name(errno));
			rc = EXIT_USAGE;
		} else {
			struct cg_json j;

			cg_json_report_begin(&j, out, true, "collapse-pager");
			cg_json_int(&j, "version", 1);
			cg_json_string(&j, "qemu", qemu);
			cg_json_string(&j, "qemu_version", n ? results[0].qemu_version : "");
			cg_json_newline(&j, 2);
			cg_json_uint(&j, "ram_bytes", o.cfg.ram);
			cg_json_object(&j, "pattern");
			cg_json_uint(&j, "offset", o.cfg.pattern_offset);
			cg_json_uint(&j, "bytes", o.cfg.ram - o.cfg.pattern_offset);
			cg_json_uint(&j, "zero_pages",
				     pattern_zero_pages(o.cfg.ram - o.cfg.pattern_offset));
			cg_json_end(&j);
			cg_json_string(&j, "mode", mode_names[o.cfg.mode]);
			cg_json_int(&j, "timeout_s", o.cfg.timeout_ms / 1000);
			cg_json_int(&j, "bandwidth_bytes", o.cfg.bandwidth);
			cg_json_array(&j, "delays_ms");
			for (int i = 0; i < o.n_delays; i++)
				cg_json_int(&j, NULL, o.delays[i]);
			cg_json_end(&j);
			cg_json_newline(&j, 2);
			cg_json_string(&j, "verdict", verdict_name);
			cg_json_int(&j, "exit", rc);
			cg_json_int(&j, "total_ms", now_ms() - start);
			cg_json_bool(&j, "knobs_restored", knobs_clean);
			cg_json_newline(&j, 2);
			cg_json_object(&j, "summary");
			cg_json_int(&j, "runs", o.runs);
			cg_json_int(&j, "passed", passed);
			cg_json_int(&j, "failed", failed);
			cg_json_int(&j, "errors", errors);
			cg_json_string(&j, "control", !o.control ? NULL : control_ok ? "PASS" : "FAIL");
			cg_json_int(&j, "collapse_calls", tot.calls);
			cg_json_int(&j, "collapsed", tot.collapsed);
			cg_json_int(&j, "collapsed_over_holes", tot.over_holes);
			cg_json_int(&j, "refused_over_holes", tot.refused);
			cg_json_int(&j, "partial_collapsed", tot.state_collapsed[1]);
			cg_json_int(&j, "partial_refused", tot.state_calls[1] - tot.state_collapsed[1]);
			cg_json_int(&j, "after_huge_extents", after_huge);
			cg_json_int(&j, "after_extents", after_extents);
			cg_json_end(&j);
			cg_json_newline(&j, 2);
			json_row(&j, mode_names[o.cfg.mode], verdict_name, true, refusal, detail);
			cg_json_newline(&j, 2);
			cg_json_array(&j, "runs");
			for (int i = 0; i < n; i++)
				json_run(&j, &results[i]);
			cg_json_newline(&j, 2);
			cg_json_end(&j);
			cg_json_finish(&j);
			if (fclose(out)) {
				fprintf(stderr, "collapse-pager: writing %s: %s\n", o.json_out,
					errno_name(errno));
				rc = EXIT_USAGE;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		free(results[i].backend_json);
		free(results[i].after_json);
	}
	unlink(pattern);
	if (!o.cfg.keep)
		rmdir(workdir);
	else
		fprintf(stderr, "collapse-pager: files kept in %s\n", workdir);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "backend"))
		return main_backend(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "run"))
		return main_run(argc - 1, argv + 1);
	if (argc > 1 && argv[1][0] != '-')
		usage_error("unknown command '%s' (run or backend)", argv[1]);
	return main_run(argc, argv);
}
