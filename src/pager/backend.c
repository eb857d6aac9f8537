#define _GNU_SOURCE
#include "backend.h"
#include "cg_extent.h"
#include "cg_json.h"
#include "cg_knob_hold.h"
#include "cg_thp_knobs.h"
#include "cg_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

const char *const mode_names[N_MODES] = {
	[MODE_BOTH] = "both",
	[MODE_MADV_COLLAPSE] = "madv_collapse",
	[MODE_KHUGEPAGED] = "khugepaged",
	[MODE_NONE] = "none",
};

int mode_by_name(const char *name)
{
	for (int i = 0; i < N_MODES; i++)
		if (!strcmp(name, mode_names[i]))
			return i;
	return -1;
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static bool stop_requested(void)
{
	return stop_signal != 0;
}

#define MAX_ERRNO 256

/* What an extent of the file held just before a MADV_COLLAPSE of it. */
enum extent_state { EXTENT_EMPTY, EXTENT_PARTIAL, EXTENT_FULL, N_EXTENT_STATES };
static const char *const extent_state_names[N_EXTENT_STATES] = {
	[EXTENT_EMPTY] = "empty",	/* all holes */
	[EXTENT_PARTIAL] = "partial",	/* holes and pages: where the bug bites */
	[EXTENT_FULL] = "full",		/* no hole */
};

struct state_stats {
	long long calls, collapsed;
	long long refused_by_errno[MAX_ERRNO];	/* calls that collapsed nothing */
};

struct stats {
	long long passes, calls;
	long long by_errno[MAX_ERRNO];		/* calls, by errno (0: success) */
	long long collapsed_by_errno[MAX_ERRNO];	/* of them, left the extent huge */
	long long collapsed, collapsed_over_holes, refused_over_holes;
	long long first_over_holes_ms;		/* since the mapping, -1 none */
	struct state_stats by_state[N_EXTENT_STATES];
	size_t extents, extents_collapsed;
};

struct backend {
	const struct backend_opts *o;
	char error[512];
	char memfd_name[PATH_MAX];
	int fd_number;
	off_t size;
	char *map;
	int hugepage_errno[2];
	bool hugepage_tried;
	bool knobs_set;
	char knobs_error[256];
	long long shmem_huge_kb_start, shmem_huge_kb_end;
	long huge_extents;	/* by the census, -1 without one */
	char census_error[128];
	long long start_ms, mapped_ms, end_ms;
	struct stats st;
};

/* ShmemHugePages of /proc/meminfo in kB, -1 when unreadable. */
static long long shmem_huge_kb(void)
{
	char buf[8192], *at;
	long long kb = -1;
	ssize_t got;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	at = strstr(buf, "\nShmemHugePages:");
	if (at && sscanf(at + 16, "%lld", &kb) != 1)
		kb = -1;
	return kb;
}

/* A hole anywhere in [off, off + len) of the file (lseek, cg_extent.h). */
static bool has_hole(int fd, off_t off, off_t len)
{
	return cg_range_has_hole(fd, off, (size_t)len) == 1;
}

static enum extent_state extent_state(int fd, off_t off, off_t len)
{
	if (!has_hole(fd, off, len))
		return EXTENT_FULL;
	return cg_range_has_data(fd, off, (size_t)len) == 1 ? EXTENT_PARTIAL : EXTENT_EMPTY;
}

/* The largest memfd the process has open (or the one asked for). */
static int find_memfd(struct backend *b, char *path, size_t path_size)
{
	char dir[64], link[PATH_MAX];
	off_t best = -1;
	struct dirent *e;
	DIR *d;

	if (b->o->fd >= 0) {
		format_into(path, path_size, "/proc/%d/fd/%d", (int)b->o->pid, b->o->fd);
		ssize_t n = readlink(path, link, sizeof(link) - 1);

		if (n < 0) {
			format_into(b->error, sizeof(b->error), "readlink %s: %s", path,
				    errno_name(errno));
			return -1;
		}
		link[n] = '\0';
		format_into(b->memfd_name, sizeof(b->memfd_name), "%s", link);
		b->fd_number = b->o->fd;
		return 0;
	}
	format_into(dir, sizeof(dir), "/proc/%d/fd", (int)b->o->pid);
	d = opendir(dir);
	if (!d) {
		format_into(b->error, sizeof(b->error), "cannot list %s: %s", dir,
			    errno_name(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char entry[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		format_into(entry, sizeof(entry), "%s/%s", dir, e->d_name);
		n = readlink(entry, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:", 7) || stat(entry, &st) || st.st_size <= best)
			continue;
		best = st.st_size;
		b->fd_number = atoi(e->d_name);
		format_into(b->memfd_name, sizeof(b->memfd_name), "%s", link);
		format_into(path, path_size, "%s", entry);
	}
	closedir(d);
	if (best < 0) {
		format_into(b->error, sizeof(b->error), "process %d has no memfd open",
			    (int)b->o->pid);
		return -1;
	}
	return 0;
}

/* Waits ms unless a stop signal comes; false when stopped. */
static bool wait_unless_stopped(long ms)
{
	long long until = now_ms() + ms;

	while (!stop_signal) {
		long long left = until - now_ms();

		if (left <= 0)
			return true;
		sleep_ms(left > 10 ? 10 : (long)left);
	}
	return false;
}

static bool time_is_up(const struct backend *b)
{
	return stop_signal ||
	       (b->o->duration_ms > 0 && now_ms() - b->mapped_ms >= b->o->duration_ms);
}

static void count(long long *table, int err)
{
	table[err >= 0 && err < MAX_ERRNO ? err : MAX_ERRNO - 1]++;
}

/* One MADV_COLLAPSE of one extent, judged by the page cache. */
static bool collapse_extent(struct backend *b, int fd, size_t extent)
{
	off_t off = (off_t)(extent * CG_EXTENT_SIZE);
	enum extent_state before = extent_state(fd, off, CG_EXTENT_SIZE);
	struct state_stats *st = &b->st.by_state[before];
	long long kb_before = shmem_huge_kb(), kb_after;
	bool holes_after, collapsed;
	int err = 0;

	if (madvise(b->map + off, CG_EXTENT_SIZE, MADV_COLLAPSE))
		err = errno;
	kb_after = shmem_huge_kb();
	holes_after = has_hole(fd, off, CG_EXTENT_SIZE);
	/*
	 * 6.1 may collapse the page cache and still return EINVAL (the extent
	 * was never mapped here): a huge page has no holes and shows in
	 * ShmemHugePages.
	 */
	collapsed = err == 0 ||
		    (!holes_after && kb_before >= 0 && kb_after - kb_before >= 2048);
	b->st.calls++;
	st->calls++;
	count(b->st.by_errno, err);
	if (collapsed) {
		b->st.collapsed++;
		st->collapsed++;
		count(b->st.collapsed_by_errno, err);
		if (before != EXTENT_FULL) {
			b->st.collapsed_over_holes++;
			if (b->st.first_over_holes_ms < 0)
				b->st.first_over_holes_ms = now_ms() - b->mapped_ms;
		}
	} else {
		count(st->refused_by_errno, err);
		if (before != EXTENT_FULL)
			b->st.refused_over_holes++;
	}
	return collapsed;
}

static void collapse_loop(struct backend *b, int fd)
{
	size_t n = (size_t)b->size / CG_EXTENT_SIZE;
	bool *done = calloc(n ? n : 1, sizeof(*done));

	b->st.extents = n;
	if (!done) {
		format_into(b->error, sizeof(b->error), "out of memory");
		return;
	}
	while (!time_is_up(b)) {
		for (size_t e = 0; e < n && !time_is_up(b); e++) {
			if (done[e])
				continue;
			if (collapse_extent(b, fd, e)) {
				done[e] = true;
				b->st.extents_collapsed++;
			}
		}
		b->st.passes++;
		/* With a duration, the work is done once every extent collapsed. */
		if (b->st.extents_collapsed == n && b->o->duration_ms > 0)
			break;
		wait_unless_stopped(b->st.extents_collapsed == n ? 50 : b->o->pause_ms);
	}
	free(done);
}

/* {"EBUSY": 3, ...}: the errnos that occurred and how often. */
static void json_errno_table(struct cg_json *j, const char *key, const long long *table)
{
	cg_json_object(j, key);
	for (int err = 0; err < MAX_ERRNO; err++)
		if (table[err])
			cg_json_int(j, errno_name(err), table[err]);
	cg_json_end(j);
}

static void json_by_state(struct cg_json *j, const struct stats *s)
{
	cg_json_object(j, "by_state");
	for (int i = 0; i < N_EXTENT_STATES; i++) {
		cg_json_object(j, extent_state_names[i]);
		cg_json_int(j, "calls", s->by_state[i].calls);
		cg_json_int(j, "collapsed", s->by_state[i].collapsed);
		json_errno_table(j, "refused", s->by_state[i].refused_by_errno);
		cg_json_end(j);
	}
	cg_json_end(j);
}

static const char *text_or_null(const char *text)
{
	return text[0] ? text : NULL;
}

static void write_report(const struct backend *b, FILE *out)
{
	const struct stats *s = &b->st;
	struct cg_json j;

	cg_json_start(&j, out, true);
	cg_json_object(&j, NULL);
	cg_json_int(&j, "pid", b->o->pid);
	cg_json_int(&j, "fd", b->fd_number);
	cg_json_string(&j, "memfd", b->memfd_name);
	cg_json_int(&j, "size", b->size);
	cg_json_string(&j, "mode", mode_names[b->o->mode]);
	cg_json_int(&j, "delay_ms", b->o->delay_ms);
	cg_json_int(&j, "mapped_after_ms", b->mapped_ms ? b->mapped_ms - b->start_ms : -1);
	cg_json_int(&j, "ran_ms", b->mapped_ms ? b->end_ms - b->mapped_ms : 0);
	if (b->hugepage_tried) {
		cg_json_array(&j, "madv_hugepage");
		cg_json_string(&j, NULL, errno_name(b->hugepage_errno[0]));
		cg_json_string(&j, NULL, errno_name(b->hugepage_errno[1]));
		cg_json_end(&j);
	} else {
		cg_json_null(&j, "madv_hugepage");
	}
	cg_json_bool(&j, "knobs_set", b->knobs_set);
	cg_json_string(&j, "knobs_error", text_or_null(b->knobs_error));
	cg_json_int(&j, "passes", s->passes);
	cg_json_int(&j, "calls", s->calls);
	json_errno_table(&j, "errnos", s->by_errno);
	cg_json_int(&j, "collapsed", s->collapsed);
	json_errno_table(&j, "collapsed_errnos", s->collapsed_by_errno);
	cg_json_int(&j, "collapsed_over_holes", s->collapsed_over_holes);
	cg_json_int(&j, "refused_over_holes", s->refused_over_holes);
	cg_json_int(&j, "first_collapse_over_holes_ms", s->first_over_holes_ms);
	json_by_state(&j, s);
	cg_json_uint(&j, "extents", s->extents);
	cg_json_uint(&j, "extents_collapsed", s->extents_collapsed);
	cg_json_int(&j, "shmem_huge_kb_start", b->shmem_huge_kb_start);
	cg_json_int(&j, "shmem_huge_kb_end", b->shmem_huge_kb_end);
	cg_json_int(&j, "huge_extents", b->huge_extents);
	cg_json_string(&j, "census_error", text_or_null(b->census_error));
	cg_json_string(&j, "stopped_by",
		       stop_signal ? sigabbrev_np(stop_signal) ?: "signal" : "duration");
	cg_json_string(&j, "error", text_or_null(b->error));
	cg_json_finish(&j);
}

#define KPF_THP 22

/* 0/1: whether the page at addr (mapped) belongs to a THP; -1 unknown. */
static int page_is_thp(int pagemap, int kpageflags, const char *addr, char *why,
		       size_t why_size)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t entry, flags;

	if (pread(pagemap, &entry, sizeof(entry),
		  (off_t)((uintptr_t)addr / (uintptr_t)page * sizeof(entry))) != sizeof(entry)) {
		format_into(why, why_size, "pagemap: %s", errno_name(errno));
		return -1;
	}
	if (!(entry >> 63) || !(entry & ((1ULL << 55) - 1))) {
		format_into(why, why_size, "pagemap gives no page frame (root needed)");
		return -1;
	}
	if (pread(kpageflags, &flags, sizeof(flags),
		  (off_t)((entry & ((1ULL << 55) - 1)) * sizeof(flags))) != sizeof(flags)) {
		format_into(why, why_size, "kpageflags: %s", errno_name(errno));
		return -1;
	}
	return (int)((flags >> KPF_THP) & 1);
}

/*
 * Counts the extents that are huge pages in the page cache. Reads one byte
 * of each through the mapping, so only once nobody waits for faults on it
 * (after the migration).
 */
static void census(struct backend *b)
{
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

	b->huge_extents = 0;
	if (pagemap < 0 || kpageflags < 0) {
		format_into(b->census_error, sizeof(b->census_error), "cannot open %s: %s",
			    pagemap < 0 ? "/proc/self/pagemap" : "/proc/kpageflags",
			    errno_name(errno));
		b->huge_extents = -1;
	}
	for (off_t off = 0; b->huge_extents >= 0 && off < b->size; off += CG_EXTENT_SIZE) {
		const volatile char *p = b->map + off;
		int thp;

		(void)*p;
		thp = page_is_thp(pagemap, kpageflags, b->map + off, b->census_error,
				  sizeof(b->census_error));
		if (thp < 0)
			b->huge_extents = -1;
		else
			b->huge_extents += thp;
	}
	if (pagemap >= 0)
		close(pagemap);
	if (kpageflags >= 0)
		close(kpageflags);
}

static void run(struct backend *b)
{
	const struct backend_opts *o = b->o;
	bool madv = o->mode == MODE_BOTH || o->mode == MODE_MADV_COLLAPSE;
	bool khugepaged = o->mode == MODE_BOTH || o->mode == MODE_KHUGEPAGED;
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (!wait_unless_stopped(o->delay_ms))
		return;
	if (find_memfd(b, path, sizeof(path)))
		return;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		format_into(b->error, sizeof(b->error), "cannot open %s (%s): %s", path,
			    b->memfd_name, errno_name(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	b->size = st.st_size;
	if (b->size < (off_t)CG_EXTENT_SIZE) {
		format_into(b->error, sizeof(b->error), "%s is %lld bytes, under one extent",
			    b->memfd_name, (long long)b->size);
		close(fd);
		return;
	}
	/* Extents wholly inside the file; a tail shorter than one is left alone. */
	b->size -= b->size % (off_t)CG_EXTENT_SIZE;
	b->map = map_aligned(fd, 0, (size_t)b->size, PROT_READ | PROT_WRITE);
	if (b->map == MAP_FAILED) {
		format_into(b->error, sizeof(b->error), "mmap of %s: %s", b->memfd_name,
			    errno_name(errno));
		b->map = NULL;
		close(fd);
		return;
	}
	b->mapped_ms = now_ms();
	b->shmem_huge_kb_start = shmem_huge_kb();
	if (khugepaged) {
		cg_khugepaged_knobs_prepare();
		/* on_stop ends the run on SIGTERM and the like; the guard the rest. */
		cg_exit_guard_install(CG_GUARD_KEEP_TERM);
		cg_knobs_wait_unless(stop_requested);
		if (cg_knobs_take(cg_khugepaged_knobs, cg_n_khugepaged_knobs, CG_KNOB_LOCK_WAIT_MS,
				  b->knobs_error, sizeof(b->knobs_error)) == 0)
			b->knobs_set = true;
		/* 6.1 registers the mm with khugepaged only at the second call. */
		b->hugepage_tried = true;
		for (int i = 0; i < 2; i++)
			b->hugepage_errno[i] =
				madvise(b->map, (size_t)b->size, MADV_HUGEPAGE) ? errno : 0;
	}
	if (madv)
		collapse_loop(b, fd);
	else
		while (!time_is_up(b))
			wait_unless_stopped(50);
	b->shmem_huge_kb_end = shmem_huge_kb();
	if (o->census)
		census(b);
	if (khugepaged)
		cg_knobs_give_back();
	munmap(b->map, (size_t)b->size);
	close(fd);
}

int backend_main(const struct backend_opts *opts)
{
	struct backend b = { .o = opts, .fd_number = -1 };
	FILE *out = stdout;

	b.st.first_over_holes_ms = -1;
	b.huge_extents = -1;
	b.shmem_huge_kb_start = b.shmem_huge_kb_end = -1;
	catch_stop_signals(on_stop);
	b.start_ms = now_ms();
	run(&b);
	b.end_ms = now_ms();
	if (opts->json_out) {
		out = fopen(opts->json_out, "we");
		if (!out) {
			fprintf(stderr, "collapse-pager backend: cannot write %s: %s\n",
				opts->json_out, errno_name(errno));
			return 2;
		}
	}
	write_report(&b, out);
	if (out != stdout && fclose(out)) {
		fprintf(stderr, "collapse-pager backend: writing %s: %s\n", opts->json_out,
			errno_name(errno));
		return 2;
	}
	fprintf(stderr, "collapse-pager backend: %lld MADV_COLLAPSE calls, %lld collapsed "
		"(%lld over holes), %lld refused over holes%s%s\n", b.st.calls,
		b.st.collapsed, b.st.collapsed_over_holes, b.st.refused_over_holes,
		b.error[0] ? "; error: " : "", b.error);
	return b.error[0] || b.knobs_error[0] ? 2 : 0;
}
