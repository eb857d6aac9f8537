#define _GNU_SOURCE
#include "migrate.h"
#include "cg_json.h"
#include "vm.h"
#include "cg_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t migration_interrupted;

#define POLL_MS 10
#define QMP_TIMEOUT_MS 10000
#define PMEMSAVE_TIMEOUT_MS 60000
#define BACKEND_STOP_MS 10000

#define AFTER_MS 3000

static const char *const run_files[] = {
	"src.qmp", "dst.qmp", "mig.sock", "src.err", "dst.err", "backend.json",
	"backend.log", "after.json", "after.log", "src.ram", "dst.ram",
};

struct ctx {
	const struct run_config *cfg;
	struct run_result *r;
	char dir[PATH_MAX];
	struct vm src, dst;
	struct child backend;
	bool backend_stopped;
	long long t0;		/* the migrate command */
};

static void path_of(const struct ctx *c, const char *name, char *buf, size_t size)
{
	format_into(buf, size, "%s/%s", c->dir, name);
}

/*
 * Records why a run is not a PASS. FAIL outranks ERROR; later reasons are
 * appended, except that a FAIL goes before the ERRORs given so far.
 */
static void __attribute__((format(printf, 3, 4)))
verdict(struct run_result *r, enum cg_row_verdict v, const char *fmt, ...)
{
	char text[sizeof(r->reason)], old[sizeof(r->reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	format_into(old, sizeof(old), "%s", r->reason);
	if (!old[0])
		format_into(r->reason, sizeof(r->reason), "%s", text);
	else if (v == CG_ROW_FAIL && r->verdict == CG_ROW_ERROR)
		format_into(r->reason, sizeof(r->reason), "%s; %s", text, old);
	else
		append_sep(r->reason, sizeof(r->reason), "%s", text);
	if (v == CG_ROW_FAIL || r->verdict == CG_ROW_PASS)
		r->verdict = v;
}

static void note_v(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note_v(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->cfg->verbose)
		return;
	fprintf(stderr, "collapse-pager: run %d: ", c->r->index);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int start_vm(struct ctx *c, struct vm *vm, bool incoming, const char *pattern)
{
	const struct run_config *cfg = c->cfg;
	char mem[64], object[128], qmp[320], loader[PATH_MAX + 64];
	char *argv[40];
	int n = 0;
	char why[512];

	path_of(c, incoming ? "dst.qmp" : "src.qmp", vm->qmp_path, sizeof(vm->qmp_path));
	path_of(c, incoming ? "dst.err" : "src.err", vm->err_path, sizeof(vm->err_path));
	format_into(mem, sizeof(mem), "%zuM", cfg->ram >> 20);
	format_into(object, sizeof(object), "memory-backend-memfd,id=ram,size=%s,share=on", mem);
	format_into(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", vm->qmp_path);
	format_into(loader, sizeof(loader), "loader,file=%s,addr=0x%zx,force-raw=on", pattern,
		    cfg->pattern_offset);
	argv[n++] = (char *)cfg->qemu;
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-machine";
	argv[n++] = "pc,memory-backend=ram";
	argv[n++] = "-accel";
	argv[n++] = "tcg";
	argv[n++] = "-smp";
	argv[n++] = "1";
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-object";
	argv[n++] = object;
	argv[n++] = "-qmp";
	argv[n++] = qmp;
	argv[n++] = "-serial";
	argv[n++] = "none";
	argv[n++] = "-monitor";
	argv[n++] = "none";
	/* Paused on both sides: no guest code ever touches the RAM. */
	argv[n++] = "-S";
	if (incoming) {
		argv[n++] = "-incoming";
		argv[n++] = "defer";
	} else {
		argv[n++] = "-device";
		argv[n++] = loader;
	}
	argv[n] = NULL;
	if (child_spawn(&vm->proc, argv, vm->err_path, SIGKILL, why, sizeof(why))) {
		verdict(c->r, CG_ROW_ERROR, "%s QEMU: %s", vm->role, why);
		return -1;
	}
	if (vm_qmp_connect(vm, cfg->start_timeout_ms, why, sizeof(why))) {
		char text[64];

		child_status_text(&vm->proc, text, sizeof(text));
		verdict(c->r, CG_ROW_ERROR, "%s (QEMU %s)", why, text);
		return -1;
	}
	note_v(c, "%s QEMU %d up, version %s", vm->role, (int)vm->proc.pid, vm->version);
	return 0;
}

/* A command that must succeed; on failure the run is an ERROR. */
static int must(struct ctx *c, struct vm *vm, const char *command)
{
	char why[512];

	if (vm_qmp(vm, command, NULL, 0, QMP_TIMEOUT_MS, why, sizeof(why))) {
		verdict(c->r, CG_ROW_ERROR, "%s: %s", command, why);
		return -1;
	}
	return 0;
}

static const char *const bad_states[] = {
	"failed", "cancelled", "cancelling", "postcopy-paused", "postcopy-recover",
};

static bool bad_state(const char *status)
{
	for (size_t i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++)
		if (!strcmp(status, bad_states[i]))
			return true;
	return false;
}

/* query-migrate; status "" when the monitor gave none. */
static int query(struct ctx *c, struct vm *vm, char *status, size_t size, char *reply,
		 size_t reply_size)
{
	char why[512];

	status[0] = '\0';
	if (vm_qmp(vm, "{\"execute\": \"query-migrate\"}", reply, reply_size, QMP_TIMEOUT_MS,
		   why, sizeof(why))) {
		verdict(c->r, CG_ROW_FAIL, "%s (migration %s at %.1f s)", why,
			vm == &c->src ? c->r->src_status : c->r->dst_status,
			(now_ms() - c->t0) / 1000.0);
		return -1;
	}
	cg_json_get_string(reply, "status", status, size);
	return 0;
}

static void start_backend(struct ctx *c)
{
	const struct run_config *cfg = c->cfg;
	char pid[16], delay[24], pause[24], json[PATH_MAX], log[PATH_MAX], why[512];
	char *argv[] = {
		(char *)cfg->self_exe, "backend", "--pid", pid, "--mode",
		(char *)mode_names[cfg->mode], "--delay-ms", delay, "--pause-ms", pause,
		"--json-out", json, NULL,
	};

	format_into(pid, sizeof(pid), "%d", (int)c->dst.proc.pid);
	format_into(delay, sizeof(delay), "%ld", c->r->delay_ms);
	format_into(pause, sizeof(pause), "%ld", cfg->pause_ms);
	path_of(c, "backend.json", json, sizeof(json));
	path_of(c, "backend.log", log, sizeof(log));
	c->r->backend_at_ms = now_ms() - c->t0;
	/* SIGTERM when we die: the backend then restores the knobs itself. */
	if (child_spawn(&c->backend, argv, log, SIGTERM, why, sizeof(why)))
		verdict(c->r, CG_ROW_ERROR, "backend: %s", why);
	else
		note_v(c, "backend %d started at %.3f s, delay %ld ms", (int)c->backend.pid,
		       c->r->backend_at_ms / 1000.0, c->r->delay_ms);
}

/* Polls both sides until both completed, one went wrong, or the time is up. */
static void follow(struct ctx *c)
{
	struct run_result *r = c->r;
	long long deadline = c->t0 + c->cfg->timeout_ms;
	char reply[8192];

	for (;;) {
		char src[32], dst[32];

		if (query(c, &c->dst, dst, sizeof(dst), reply, sizeof(reply)))
			return;
		if (strcmp(dst, r->dst_status))
			note_v(c, "destination %s at %.3f s", dst, (now_ms() - c->t0) / 1000.0);
		format_into(r->dst_status, sizeof(r->dst_status), "%s", dst);
		if (bad_state(dst))
			cg_json_get_string(reply, "error-desc", r->error_desc, sizeof(r->error_desc));
		if (!strcmp(dst, "postcopy-active") && r->postcopy_at_ms < 0)
			r->postcopy_at_ms = now_ms() - c->t0;
		if (r->postcopy_at_ms >= 0 && !r->control && !c->backend.pid &&
		    r->verdict != CG_ROW_ERROR)
			start_backend(c);
		if (query(c, &c->src, src, sizeof(src), reply, sizeof(reply)))
			return;
		if (strcmp(src, r->src_status))
			note_v(c, "source %s at %.3f s", src, (now_ms() - c->t0) / 1000.0);
		format_into(r->src_status, sizeof(r->src_status), "%s", src);
		if (bad_state(src) && !r->error_desc[0])
			cg_json_get_string(reply, "error-desc", r->error_desc, sizeof(r->error_desc));
		if (!strcmp(src, "completed") && !strcmp(dst, "completed")) {
			long long v;

			r->migrate_ms = now_ms() - c->t0;
			if (!cg_json_get_number(reply, "transferred", &v))
				r->transferred = v;
			if (!cg_json_get_number(reply, "postcopy-bytes", &v))
				r->postcopy_bytes = v;
			if (!cg_json_get_number(reply, "postcopy-requests", &v))
				r->postcopy_requests = v;
			return;
		}
		if (bad_state(dst) || bad_state(src)) {
			/* Let QEMU print its error before stderr is read. */
			sleep_ms(300);
			verdict(r, CG_ROW_FAIL, "migration stopped at %.1f s: source %s, destination %s%s%s",
				(now_ms() - c->t0) / 1000.0, src, dst,
				r->error_desc[0] ? ": " : "", r->error_desc);
			return;
		}
		if (migration_interrupted) {
			verdict(r, CG_ROW_ERROR, "interrupted at %.1f s (source %s, destination %s)",
				(now_ms() - c->t0) / 1000.0, src, dst);
			return;
		}
		if (now_ms() >= deadline) {
			verdict(r, CG_ROW_FAIL, "migration not completed in %ld s: source %s, destination %s",
				c->cfg->timeout_ms / 1000, src, dst);
			return;
		}
		sleep_ms(POLL_MS);
	}
}

/* Reads a whole (small) file; malloc'd, NULL if unreadable or empty. */
static char *slurp(const char *path, size_t limit)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t got;

	if (fd < 0)
		return NULL;
	buf = malloc(limit + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	got = read(fd, buf, limit);
	close(fd);
	if (got <= 0) {
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	return buf;
}

/* The first postcopy_place_page line, and the end of the destination's stderr. */
static void scan_stderr(struct ctx *c)
{
	struct run_result *r = c->r;
	const struct vm *vms[] = { &c->dst, &c->src };

	for (size_t i = 0; i < 2; i++) {
		char *text = slurp(vms[i]->err_path, 1 << 20), *hit;

		if (!text)
			continue;
		hit = strstr(text, "postcopy_place_page");
		if (hit && !r->place_page[0]) {
			char *start = hit, *end = strchr(hit, '\n');

			while (start > text && start[-1] != '\n')
				start--;
			format_into(r->place_page, sizeof(r->place_page), "%s: %.*s", vms[i]->role,
				    (int)(end ? end - start : (long)strlen(start)), start);
		}
		if (vms[i] == &c->dst) {
			size_t len = strlen(text);
			size_t keep = sizeof(r->stderr_tail) - 1;
			const char *tail = len > keep ? text + len - keep : text;

			format_into(r->stderr_tail, sizeof(r->stderr_tail), "%s", tail);
		}
		free(text);
	}
}

static void *map_file(const char *path, size_t len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (size_t)st.st_size != len) {
		close(fd);
		errno = EIO;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static int pmemsave(struct ctx *c, struct vm *vm, const char *file)
{
	char cmd[PATH_MAX + 128], path[PATH_MAX], why[512];

	path_of(c, file, path, sizeof(path));
	format_into(cmd, sizeof(cmd),
		    "{\"execute\": \"pmemsave\", \"arguments\": {\"val\": 0, \"size\": %zu, "
		    "\"filename\": \"%s\"}}", c->cfg->ram, path);
	if (vm_qmp(vm, cmd, NULL, 0, PMEMSAVE_TIMEOUT_MS, why, sizeof(why))) {
		verdict(c->r, CG_ROW_ERROR, "pmemsave: %s", why);
		return -1;
	}
	return 0;
}

/* Destination RAM against the pattern and against the source's RAM. */
static void compare_ram(struct ctx *c)
{
	const struct run_config *cfg = c->cfg;
	struct run_result *r = c->r;
	char dpath[PATH_MAX], spath[PATH_MAX];
	unsigned char *d, *s;

	if (pmemsave(c, &c->dst, "dst.ram") || pmemsave(c, &c->src, "src.ram"))
		return;
	path_of(c, "dst.ram", dpath, sizeof(dpath));
	path_of(c, "src.ram", spath, sizeof(spath));
	d = map_file(dpath, cfg->ram);
	s = map_file(spath, cfg->ram);
	if (!d || !s) {
		verdict(r, CG_ROW_ERROR, "cannot read the RAM dumps back: %s", errno_name(errno));
	} else {
		pattern_compare(d + cfg->pattern_offset, cfg->ram - cfg->pattern_offset,
				&r->vs_pattern);
		if (r->vs_pattern.first >= 0)
			r->vs_pattern.first += (long long)cfg->pattern_offset;
		buffer_compare(d, s, cfg->ram, &r->vs_source);
		r->compared = true;
	}
	if (d)
		munmap(d, cfg->ram);
	if (s)
		munmap(s, cfg->ram);
	/* The dumps are large: drop them at once, whatever --keep says. */
	unlink(dpath);
	unlink(spath);
}

static void stop_backend(struct ctx *c)
{
	struct run_result *r = c->r;
	char path[PATH_MAX];

	if (!c->backend.pid || c->backend_stopped)
		return;
	c->backend_stopped = true;
	child_end(&c->backend, SIGTERM, BACKEND_STOP_MS);
	child_status_text(&c->backend, r->backend_exit, sizeof(r->backend_exit));
	path_of(c, "backend.json", path, sizeof(path));
	r->backend_json = slurp(path, 1 << 16);
	if (r->backend_json) {
		char *end = r->backend_json + strlen(r->backend_json);

		while (end > r->backend_json && (end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
	}
}

/*
 * Once post-copy is over QEMU has unregistered its userfaultfd: a collapse
 * of every extent must work again, and the RAM compared afterwards must not
 * have changed. Bounded by AFTER_MS; the report goes to r->after_json.
 */
static void collapse_after(struct ctx *c)
{
	char pid[16], duration[24], json[PATH_MAX], log[PATH_MAX], why[512];
	char *argv[] = {
		(char *)c->cfg->self_exe, "backend", "--pid", pid, "--mode", "madv_collapse",
		"--duration-ms", duration, "--census", "--json-out", json, NULL,
	};
	struct child after;

	format_into(pid, sizeof(pid), "%d", (int)c->dst.proc.pid);
	format_into(duration, sizeof(duration), "%d", AFTER_MS);
	path_of(c, "after.json", json, sizeof(json));
	path_of(c, "after.log", log, sizeof(log));
	if (child_spawn(&after, argv, log, SIGTERM, why, sizeof(why))) {
		verdict(c->r, CG_ROW_ERROR, "collapse after the migration: %s", why);
		return;
	}
	if (!child_wait(&after, AFTER_MS + BACKEND_STOP_MS))
		child_end(&after, SIGTERM, BACKEND_STOP_MS);
	c->r->after_json = slurp(json, 1 << 16);
	if (c->r->after_json)
		c->r->after_json[strcspn(c->r->after_json, "\n")] = '\0';
}

static void judge(struct ctx *c)
{
	struct run_result *r = c->r;

	if (r->place_page[0])
		verdict(r, CG_ROW_FAIL, "QEMU reported %s", r->place_page);
	if (r->compared && r->vs_pattern.pages)
		verdict(r, CG_ROW_FAIL, "destination RAM differs from the pattern in %zu pages (%zu "
			"of them zero), the first at 0x%llx", r->vs_pattern.pages,
			r->vs_pattern.zeroed, (unsigned long long)r->vs_pattern.first);
	if (r->compared && r->vs_source.pages)
		verdict(r, CG_ROW_FAIL, "destination RAM differs from the source's in %zu pages (%zu "
			"of them zero), the first at 0x%llx", r->vs_source.pages,
			r->vs_source.zeroed, (unsigned long long)r->vs_source.first);
	if (r->control || r->verdict != CG_ROW_PASS)
		return;
	/* A pass means something only if the backend did its part in time. */
	if (!r->backend_json) {
		verdict(r, CG_ROW_ERROR, "the backend gave no report (%s)",
			r->backend_exit[0] ? r->backend_exit : "never started");
	} else {
		char error[512];
		long long mapped = -1;

		if (!cg_json_get_string(r->backend_json, "error", error, sizeof(error)))
			verdict(r, CG_ROW_ERROR, "backend: %s", error);
		else if (!cg_json_get_string(r->backend_json, "knobs_error", error, sizeof(error)))
			verdict(r, CG_ROW_ERROR, "backend: %s", error);
		cg_json_get_number(r->backend_json, "mapped_after_ms", &mapped);
		if (mapped < 0 || r->backend_at_ms + mapped >= r->migrate_ms)
			verdict(r, CG_ROW_ERROR, "the backend mapped the memfd only after the migration "
				"had completed (started at %.3f s, mapped %lld ms later, completed at "
				"%.3f s): shorten its delay", r->backend_at_ms / 1000.0, mapped,
				r->migrate_ms / 1000.0);
	}
}

static void clean_up(struct ctx *c)
{
	char path[PATH_MAX];

	if (c->cfg->keep)
		return;
	for (size_t i = 0; i < sizeof(run_files) / sizeof(run_files[0]); i++) {
		path_of(c, run_files[i], path, sizeof(path));
		unlink(path);
	}
	rmdir(c->dir);
}

void run_migration(const struct run_config *cfg, struct run_result *r)
{
	struct ctx c = { .cfg = cfg, .r = r };
	char pattern[PATH_MAX], cmd[PATH_MAX + 128], sock[PATH_MAX];
	static const char caps[] = "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
		"{\"capabilities\": [{\"capability\": \"postcopy-ram\", \"state\": true}]}}";
	long long start = now_ms();

	r->verdict = CG_ROW_PASS;
	r->postcopy_at_ms = r->backend_at_ms = -1;
	r->transferred = r->postcopy_bytes = r->postcopy_requests = -1;
	vm_init(&c.src, "source");
	vm_init(&c.dst, "destination");
	format_into(c.dir, sizeof(c.dir), "%s/r%d", cfg->workdir, r->index);
	format_into(pattern, sizeof(pattern), "%s/pattern", cfg->workdir);
	path_of(&c, "mig.sock", sock, sizeof(sock));
	if (mkdir(c.dir, 0700) && errno != EEXIST) {
		verdict(r, CG_ROW_ERROR, "mkdir %s: %s", c.dir, errno_name(errno));
		goto out;
	}
	unlink(sock);
	if (start_vm(&c, &c.dst, true, NULL) || start_vm(&c, &c.src, false, pattern))
		goto stop;
	format_into(r->qemu_version, sizeof(r->qemu_version), "%s", c.src.version);
	if (must(&c, &c.dst, caps) || must(&c, &c.src, caps))
		goto stop;
	if (cfg->bandwidth) {
		format_into(cmd, sizeof(cmd), "{\"execute\": \"migrate-set-parameters\", "
			    "\"arguments\": {\"max-bandwidth\": %lld, "
			    "\"max-postcopy-bandwidth\": %lld}}", cfg->bandwidth, cfg->bandwidth);
		if (must(&c, &c.src, cmd))
			goto stop;
	}
	format_into(cmd, sizeof(cmd), "{\"execute\": \"migrate-incoming\", \"arguments\": "
		    "{\"uri\": \"unix:%s\"}}", sock);
	if (must(&c, &c.dst, cmd))
		goto stop;
	format_into(cmd, sizeof(cmd), "{\"execute\": \"migrate\", \"arguments\": "
		    "{\"uri\": \"unix:%s\"}}", sock);
	c.t0 = now_ms();
	if (must(&c, &c.src, cmd) ||
	    must(&c, &c.src, "{\"execute\": \"migrate-start-postcopy\"}"))
		goto stop;
	note_v(&c, "migrating, post-copy requested");
	follow(&c);
	if (!r->migrate_ms)
		r->migrate_ms = now_ms() - c.t0;
	stop_backend(&c);
	if (!strcmp(r->src_status, "completed") && !strcmp(r->dst_status, "completed") &&
	    r->verdict != CG_ROW_ERROR) {
		collapse_after(&c);
		compare_ram(&c);
	}
stop:
	stop_backend(&c);
	vm_stop(&c.dst);
	vm_stop(&c.src);
	scan_stderr(&c);
	judge(&c);
out:
	clean_up(&c);
	r->total_ms = now_ms() - start;
}
