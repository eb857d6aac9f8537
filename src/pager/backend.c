#define _GNU_SOURCE
#include "backend.h"
#include "json.h"
#include "cg_extent.h"
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

static void put_errno_table(FILE *out, const long long *table)
{
	bool first = true;

	fputc('{', out);
	for (int err = 0; err < MAX_ERRNO; err++) {
		if (!table[err])
			continue;
		fprintf(out, "%s", first ? "" : ", ");
		json_put_string(out, errno_name(err));
		fprintf(out, ": %lld", table[err]);
		first = false;
	}
	fputc('}', out);
}

static void write_report(const struct backend *b, FILE *out)
{
	const struct stats *s = &b->st;

	fprintf(out, "{\"pid\": %d, \"fd\": %d, \"memfd\": ", (int)b->o->pid, b->fd_number);
	json_put_string(out, b->memfd_name);
	fprintf(out, ", \"size\": %lld, \"mode\": \"%s\", \"delay_ms\": %ld, ",
		(long long)b->size, mode_names[b->o->mode], b->o->delay_ms);
	fprintf(out, "\"mapped_after_ms\": %lld, \"ran_ms\": %lld, ",
		b->mapped_ms ? b->mapped_ms - b->start_ms : -1,
		b->mapped_ms ? b->end_ms - b->mapped_ms : 0);
	if (b->hugepage_tried) {
		fprintf(out, "\"madv_hugepage\": [\"%s\", ", errno_name(b->hugepage_errno[0]));
		fprintf(out, "\"%s\"], ", errno_name(b->hugepage_errno[1]));
	} else {
		fputs("\"madv_hugepage\": null, ", out);
	}
	fprintf(out, "\"knobs_set\": %s, \"knobs_error\": ", b->knobs_set ? "true" : "false");
	json_put_string_or_null(out, b->knobs_error[0] ? b->knobs_error : NULL);
	fprintf(out, ", \"passes\": %lld, \"calls\": %lld, \"errnos\": ", s->passes, s->calls);
	put_errno_table(out, s->by_errno);
	fprintf(out, ", \"collapsed\": %lld, \"collapsed_errnos\": ", s->collapsed);
	put_errno_table(out, s->collapsed_by_errno);
	fprintf(out, ", \"collapsed_over_holes\": %lld, \"refused_over_holes\": %lld, ",
		s->collapsed_over_holes, s->refused_over_holes);
	fprintf(out, "\"first_collapse_over_holes_ms\": %lld, \"by_state\": {",
		s->first_over_holes_ms);
	for (int i = 0; i < N_EXTENT_STATES; i++) {
		fprintf(out, "%s\"%s\": {\"calls\": %lld, \"collapsed\": %lld, \"refused\": ",
			i ? ", " : "", extent_state_names[i], s->by_state[i].calls,
			s->by_state[i].collapsed);
		put_errno_table(out, s->by_state[i].refused_by_errno);
		fputc('}', out);
	}
	fputs("}, ", out);
	fprintf(out, "\"extents\": %zu, \"extents_collapsed\": %zu, ", s->extents,
		s->extents_collapsed);
	fprintf(out, "\"shmem_huge_kb_start\": %lld, \"shmem_huge_kb_end\": %lld, ",
		b->shmem_huge_kb_start, b->shmem_huge_kb_end);
	fprintf(out, "\"huge_extents\": %ld, \"census_error\": ", b->huge_extents);
	json_put_string_or_null(out, b->census_error[0] ? b->census_error : NULL);
	fprintf(out, ", \"stopped_by\": ");
	json_put_string(out, stop_signal ? sigabbrev_np(stop_signal) ?: "signal" : "duration");
	fputs(", \"error\": ", out);
	json_put_string_or_null(out, b->error[0] ? b->error : NULL);
	fputs("}\n", out);
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
		cg_knobs_guard_signals(cg_khugepaged_knobs, cg_n_khugepaged_knobs,
				       CG_GUARD_KEEP_TERM);
		if (cg_knobs_apply(cg_khugepaged_knobs, cg_n_khugepaged_knobs, b->knobs_error,
				   sizeof(b->knobs_error)) == 0)
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
	if (khugepaged) {
		cg_knobs_restore(cg_khugepaged_knobs, cg_n_khugepaged_knobs);
		cg_knobs_unguard();
	}
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
