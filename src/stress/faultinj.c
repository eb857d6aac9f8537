/*
 * --faultinj: failslab and fail_page_alloc aimed at one task, the one that
 * runs the operations under test, through two mechanisms:
 *
 *  1. the sweep: /proc/thread-self/fail-nth = n fails the n-th allocation
 *     (slab or page) of the task, n = 1, 2, ... until an operation runs to
 *     its end without reaching the n-th: every allocation point of the path
 *     fails once;
 *  2. the random phase: task-filter=Y, probability P, with
 *     /proc/thread-self/make-it-fail set around each operation only.
 *
 * After every injected operation the state is put back and a probe collapse
 * of a holey extent under an armed VMA runs: it must be refused (EBUSY), and
 * under CONFIG_DEBUG_VM the kernel recounts the armed VMAs there. At the end,
 * with injection off: collapse is refused exactly while an armed VMA maps
 * the extent and allowed after the last one goes (by exit, unregister,
 * munmap, close), populated pages keep their content, and Shmem and
 * ShmemHugePages in /proc/meminfo return to the baseline.
 */
#define _GNU_SOURCE
#include "cg_json.h"
#include "cg_knob_hold.h"
#include "cg_tap.h"
#include "cg_thp_knobs.h"
#include "faultinj.h"
#include "content.h"
#include "monitor.h"
#include "report.h"
#include "shared.h"
#include "cg_uffd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW       (PROT_READ | PROT_WRITE)
#define NEXTENTS 4
#define E_PROBE  0	/* armed by the probe mapping all along */
#define E_REGION 1	/* E1, E2: the region of the VMA operations */
#define E_UNARMED 3	/* collapsed through the unarmed mapping */
#define DBG      "/sys/kernel/debug/"
#define MID_LO   (100 * PAGE_SZ)	/* a sub-range inside the region */
#define MID_LEN  (600 * PAGE_SZ)
#define REGION_LEN (2 * CG_EXTENT_SIZE)

struct fi {
	const struct options *o;
	int memfd;
	char *u;		/* unarmed mapping of the whole file, never touched */
	char *probe;		/* armed mapping of E_PROBE */
	int uffd;		/* EVENT_FORK | EVENT_REMAP, served by the monitor */
	int nth_fd, mif_fd;
	void *buf;
	/* per-operation state */
	char *r, *dst;
	int uffd2;
	long problems;		/* checks that failed */
	unsigned long probes, probes_refused;
	unsigned long collapses_failed;	/* MADV_COLLAPSE that failed under injection */
	int committed;		/* the last collapse filled the extent's holes */
	FILE *log;		/* the JSON array of the final checks */
	struct cg_json final;
};

enum { X_ENOMEM, X_EBUSY, X_EAGAIN, X_EINVAL, X_EFAULT, X_OTHER, X_NR };
static const char *const x_names[X_NR] = { "ENOMEM", "EBUSY", "EAGAIN", "EINVAL", "EFAULT", "other" };

static int x_of(int err)
{
	switch (err) {
	case ENOMEM: return X_ENOMEM;
	case EBUSY:  return X_EBUSY;
	case EAGAIN: return X_EAGAIN;
	case EINVAL: return X_EINVAL;
	case EFAULT: return X_EFAULT;
	default:     return X_OTHER;
	}
}

struct kind {
	const char *name;
	int (*setup)(struct fi *f);
	int (*op)(struct fi *f);	/* 0 or an errno */
	void (*cleanup)(struct fi *f, int err);
	/* sweep results */
	unsigned long iterations, injected, failed, tolerated, complete_at;
	unsigned long errs[X_NR];
	/* random phase */
	unsigned long r_attempts, r_failed;
};

static void problem(struct fi *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct fi *f, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f->problems++ < 20)
		printf("  CHECK FAILED: %s\n", msg);
}

/* ---- the file: even pages hold the pager's content, odd pages are holes ---- */

static int reset_extent(struct fi *f, int e)
{
	if (fallocate(f->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)e * (off_t)CG_EXTENT_SIZE, CG_EXTENT_SIZE))
		return -errno;
	for (unsigned long i = 0; i < EXTENT_PAGES; i += 2) {
		unsigned long index = (unsigned long)e * EXTENT_PAGES + i;

		cg_stamp_fill(f->buf, PAGE_SZ, cg_stamp(PAGER_MAGIC, 0, index));
		if (pwrite(f->memfd, f->buf, PAGE_SZ, (off_t)(index * PAGE_SZ)) != (ssize_t)PAGE_SZ)
			return -errno;
	}
	return 0;
}

/* Holes of extent e by lseek, or -errno. */
static long holes_in_extent(struct fi *f, int e)
{
	return cg_count_holes(f->memfd, (off_t)e * (off_t)CG_EXTENT_SIZE, CG_EXTENT_SIZE);
}

/*
 * Even pages must hold the pager's content; with holey, the odd ones must be
 * holes still, otherwise zeroes (a collapse committed while allowed).
 */
static void check_extent(struct fi *f, int e, int holey, const char *when)
{
	long holes = holes_in_extent(f, e);

	if (holey && holes != (long)EXTENT_PAGES / 2)
		problem(f, "%s: extent %d has %ld holes, not %lu", when, e, holes, EXTENT_PAGES / 2);
	if (!holey && holes != 0)
		problem(f, "%s: extent %d has %ld holes after its collapse", when, e, holes);
	for (unsigned long i = 0; i < EXTENT_PAGES; i++) {
		unsigned long index = (unsigned long)e * EXTENT_PAGES + i;
		int word;
		uint64_t value;

		if (pread(f->memfd, f->buf, PAGE_SZ, (off_t)(index * PAGE_SZ)) != (ssize_t)PAGE_SZ) {
			problem(f, "%s: pread page %lu: %s", when, index, errno_name(errno));
			return;
		}
		if (i % 2 == 0) {
			if (check_buffer(f->buf, PAGER_MAGIC, index, &word, &value) != PAGE_OK) {
				problem(f, "%s: page %lu lost its content (word %d: %#llx)", when,
					index, word, (unsigned long long)value);
				return;
			}
		} else {
			for (unsigned long w = 0; w < PAGE_SZ / 8; w++) {
				if (((uint64_t *)f->buf)[w]) {
					problem(f, "%s: hole %lu reads non-zero", when, index);
					return;
				}
			}
		}
	}
}

static int collapse(struct fi *f, int e)
{
	return madvise(f->u + (size_t)e * CG_EXTENT_SIZE, CG_EXTENT_SIZE, MADV_COLLAPSE) ?
	       errno : 0;
}

/* The probe: E_PROBE is holey and armed, so collapse must be refused. */
static void probe(struct fi *f, const char *after)
{
	int err = collapse(f, E_PROBE);

	f->probes++;
	if (holes_in_extent(f, E_PROBE) == 0) {
		problem(f, "after %s: the armed holey extent collapsed (%s)", after,
			err ? errno_name(err) : "OK");
		reset_extent(f, E_PROBE);
		return;
	}
	if (err == EBUSY) {
		f->probes_refused++;
		return;
	}
	if (err != EAGAIN) {
		problem(f, "after %s: probe collapse: %s, not EBUSY", after, errno_name(err));
	}
}

/* ---- injection controls ---- */

static int set_nth(struct fi *f, unsigned n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", n);

	return pwrite(f->nth_fd, v, (size_t)len, 0) == len ? 0 : -errno;
}

/* What is left of fail-nth: 0 once the n-th allocation was failed. */
static long get_nth(struct fi *f)
{
	char v[16] = "";
	ssize_t got = pread(f->nth_fd, v, sizeof(v) - 1, 0);

	return got > 0 ? strtol(v, NULL, 10) : -1;
}

static void make_it_fail(struct fi *f, int on)
{
	if (pwrite(f->mif_fd, on ? "1" : "0", 1, 0) != 1)
		problem(f, "make-it-fail: %s", errno_name(errno));
}

/* ---- operations ---- */

static int map_region(struct fi *f)
{
	f->r = map_aligned(f->memfd, (off_t)E_REGION * (off_t)CG_EXTENT_SIZE, REGION_LEN, RW);
	if (f->r == MAP_FAILED) {
		f->r = NULL;
		return -errno;
	}
	return 0;
}

static int map_region_armed(struct fi *f)
{
	int err = map_region(f);

	return err ? err : cg_uffd_register_missing(f->uffd, f->r, REGION_LEN);
}

static void unmap_region(struct fi *f, int err)
{
	(void)err;
	if (f->r) {
		cg_uffd_unregister(f->uffd, f->r, REGION_LEN);
		munmap(f->r, REGION_LEN);
		f->r = NULL;
	}
	if (f->dst) {
		munmap(f->dst, REGION_LEN);
		f->dst = NULL;
	}
}

static int op_collapse_armed(struct fi *f)
{
	return collapse(f, E_PROBE);
}

/*
 * Whether a collapse committed is read from the file, not from the errno:
 * 6.1 commits the page cache and then returns EINVAL (SCAN_PMD_NULL) when
 * the mapping it went through has no page table there.
 */
static void cleanup_collapse_armed(struct fi *f, int err)
{
	f->committed = holes_in_extent(f, E_PROBE) == 0;
	if (f->committed) {
		problem(f, "MADV_COLLAPSE under injection committed over armed holes (%s)",
			err ? errno_name(err) : "OK");
		reset_extent(f, E_PROBE);
		return;
	}
	if (err != EBUSY)
		f->collapses_failed++;
	check_extent(f, E_PROBE, 1, "collapse_armed rollback");
}

static int setup_collapse_unarmed(struct fi *f)
{
	return reset_extent(f, E_UNARMED);
}

static int op_collapse_unarmed(struct fi *f)
{
	return collapse(f, E_UNARMED);
}

static void cleanup_collapse_unarmed(struct fi *f, int err)
{
	(void)err;
	f->committed = holes_in_extent(f, E_UNARMED) == 0;
	if (!f->committed)
		f->collapses_failed++;
	check_extent(f, E_UNARMED, !f->committed,
		     f->committed ? "collapse_unarmed" : "collapse_unarmed rollback");
}

static int op_register_split(struct fi *f)
{
	return -cg_uffd_register_missing(f->uffd, f->r + MID_LO, MID_LEN);
}

static int setup_partly_armed(struct fi *f)
{
	int err = map_region(f);

	return err ? err : cg_uffd_register_missing(f->uffd, f->r + MID_LO, MID_LEN);
}

static int op_register_merge(struct fi *f)
{
	return -cg_uffd_register_missing(f->uffd, f->r, REGION_LEN);
}

static int op_unregister_split(struct fi *f)
{
	return -cg_uffd_unregister(f->uffd, f->r + MID_LO, MID_LEN);
}

static int op_mprotect_split(struct fi *f)
{
	return mprotect(f->r + MID_LO, MID_LEN, PROT_READ) ? errno : 0;
}

static int setup_mprotected(struct fi *f)
{
	int err = map_region_armed(f);

	if (!err && mprotect(f->r + MID_LO, MID_LEN, PROT_READ))
		err = -errno;
	return err;
}

static int op_mprotect_merge(struct fi *f)
{
	return mprotect(f->r, REGION_LEN, RW) ? errno : 0;
}

static int op_munmap_split(struct fi *f)
{
	return munmap(f->r + MID_LO, MID_LEN) ? errno : 0;
}

static int setup_mremap(struct fi *f)
{
	int err = map_region_armed(f);

	if (err)
		return err;
	f->dst = reserve_aligned(REGION_LEN);
	if (f->dst == MAP_FAILED) {
		f->dst = NULL;
		return -errno;
	}
	return 0;
}

static int op_mremap(struct fi *f)
{
	return mremap(f->r, REGION_LEN, REGION_LEN, MREMAP_MAYMOVE | MREMAP_FIXED, f->dst) ==
	       MAP_FAILED ? errno : 0;
}

static void cleanup_mremap(struct fi *f, int err)
{
	if (!err) {
		/*
		 * Moved: the armed region is at dst now. The old range may still
		 * be mapped too: when unmapping it fails (an injected failure in
		 * its split), 6.1's move_vma() keeps it and reports success.
		 */
		cg_uffd_unregister(f->uffd, f->dst, REGION_LEN);
		munmap(f->dst, REGION_LEN);
		f->dst = NULL;
	}
	unmap_region(f, err);
}

static int op_fork(struct fi *f)
{
	pid_t pid = fork();

	(void)f;
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return errno;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static void cleanup_fork(struct fi *f, int err)
{
	monitor_forget_forks(monitor_fork_fds());
	unmap_region(f, err);
}

static int op_uffd_create(struct fi *f)
{
	f->uffd2 = cg_uffd_open(CG_UFFD_FLAGS, UFFD_FEATURE_EVENT_FORK, NULL);
	if (f->uffd2 < 0) {
		int err = -f->uffd2;

		f->uffd2 = -1;
		return err;
	}
	return -cg_uffd_register_missing(f->uffd2, f->r, REGION_LEN);
}

static void cleanup_uffd2(struct fi *f, int err)
{
	if (f->uffd2 >= 0)
		close(f->uffd2);
	f->uffd2 = -1;
	if (f->r) {
		/* The release must have unarmed the region: it registers anew. */
		int e = cg_uffd_register_missing(f->uffd, f->r, REGION_LEN);

		if (e)
			problem(f, "region not registrable after its uffd closed (%s)",
				errno_name(-e));
	}
	unmap_region(f, err);
}

/* The middle of the region armed by a second uffd: its release merges. */
static int setup_uffd2_armed(struct fi *f)
{
	int err = map_region(f);

	if (err)
		return err;
	f->uffd2 = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
	if (f->uffd2 < 0)
		return f->uffd2;
	return cg_uffd_register_missing(f->uffd2, f->r + MID_LO, MID_LEN);
}

static int op_uffd_close(struct fi *f)
{
	int fd = f->uffd2;

	f->uffd2 = -1;
	return close(fd) ? errno : 0;
}

static struct kind kinds[] = {
	{ .name = "collapse_armed", .setup = NULL, .op = op_collapse_armed, .cleanup = cleanup_collapse_armed },
	{ .name = "collapse_unarmed", .setup = setup_collapse_unarmed, .op = op_collapse_unarmed, .cleanup = cleanup_collapse_unarmed },
	{ .name = "register_split", .setup = map_region, .op = op_register_split, .cleanup = unmap_region },
	{ .name = "register_merge", .setup = setup_partly_armed, .op = op_register_merge, .cleanup = unmap_region },
	{ .name = "unregister_split", .setup = map_region_armed, .op = op_unregister_split, .cleanup = unmap_region },
	{ .name = "mprotect_split", .setup = map_region_armed, .op = op_mprotect_split, .cleanup = unmap_region },
	{ .name = "mprotect_merge", .setup = setup_mprotected, .op = op_mprotect_merge, .cleanup = unmap_region },
	{ .name = "munmap_split", .setup = map_region_armed, .op = op_munmap_split, .cleanup = unmap_region },
	{ .name = "mremap", .setup = setup_mremap, .op = op_mremap, .cleanup = cleanup_mremap },
	{ .name = "fork", .setup = map_region_armed, .op = op_fork, .cleanup = cleanup_fork },
	{ .name = "uffd_create_register", .setup = map_region, .op = op_uffd_create, .cleanup = cleanup_uffd2 },
	{ .name = "uffd_close", .setup = setup_uffd2_armed, .op = op_uffd_close, .cleanup = cleanup_uffd2 },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Runs one operation with the given injection; returns its error. */
static int run_once(struct fi *f, struct kind *k, unsigned nth, int random, long *left)
{
	int err = k->setup ? k->setup(f) : 0;

	if (err) {
		problem(f, "%s: set-up failed: %s", k->name, errno_name(-err));
		k->cleanup(f, -err);
		return -1;
	}
	if (nth)
		set_nth(f, nth);
	if (random)
		make_it_fail(f, 1);
	err = k->op(f);
	if (random)
		make_it_fail(f, 0);
	if (nth) {
		*left = get_nth(f);
		set_nth(f, 0);
	}
	k->cleanup(f, err);
	/* A collapse succeeded when it committed, whatever errno said. */
	if (k->op == op_collapse_armed || k->op == op_collapse_unarmed)
		err = f->committed ? 0 : err ? err : EINVAL;
	return err;
}

static void sweep(struct fi *f, struct kind *k)
{
	for (unsigned nth = 1; nth <= (unsigned)f->o->fi_max_nth; nth++) {
		long left = -1;
		int err = run_once(f, k, nth, 0, &left);

		if (err < 0)
			return;
		k->iterations++;
		if (left != 0) {
			/* The operation never reached its n-th allocation: done. */
			k->complete_at = nth;
			if (err && !(k->op == op_collapse_armed && err == EBUSY))
				problem(f, "%s: without injection it fails: %s", k->name,
					errno_name(err));
			probe(f, k->name);
			return;
		}
		k->injected++;
		if (err) {
			k->failed++;
			k->errs[x_of(err)]++;
		} else {
			k->tolerated++;
		}
		probe(f, k->name);
	}
}

/* ---- debugfs fault attributes ---- */

struct attr_setting {
	const char *name;
	const char *value;
};

/* Both attributes: quiet, and failing only the tasks that ask (fail-nth, make-it-fail). */
static const struct attr_setting common_settings[] = {
	{ "probability", "0" }, { "interval", "1" }, { "times", "-1" }, { "space", "0" },
	{ "verbose", "0" }, { "task-filter", "Y" }, { "ignore-gfp-wait", "N" },
};
/* The huge page of a collapse is __GFP_HIGHMEM (movable) and order 9. */
static const struct attr_setting page_alloc_settings[] = {
	{ "ignore-gfp-highmem", "N" }, { "min-order", "0" },
};

#define MAX_ATTR_KNOBS 16
static struct cg_knob attr_knobs[MAX_ATTR_KNOBS];
static char attr_paths[MAX_ATTR_KNOBS][128];
static size_t n_attr_knobs;

static void attr_path(char *path, size_t size, const char *attr, const char *name)
{
	snprintf(path, size, DBG "%s/%s", attr, name);
}

static void add_attr_knob(const char *attr, const struct attr_setting *setting)
{
	if (n_attr_knobs == MAX_ATTR_KNOBS)
		return;
	attr_path(attr_paths[n_attr_knobs], sizeof(attr_paths[0]), attr, setting->name);
	attr_knobs[n_attr_knobs] = (struct cg_knob){
		.path = attr_paths[n_attr_knobs], .wanted = setting->value,
	};
	n_attr_knobs++;
}

/* A change during the run, restored at the end like the settings. */
static int attr_set(const char *attr, const char *name, const char *value)
{
	char path[128];

	attr_path(path, sizeof(path), attr, name);
	for (size_t i = 0; i < n_attr_knobs; i++)
		if (!strcmp(attr_knobs[i].path, path))
			return cg_knob_change_to(&attr_knobs[i], value);
	return -ENOENT;
}

static long attr_get(const char *attr, const char *name)
{
	char path[128], v[32];

	attr_path(path, sizeof(path), attr, name);
	return cg_knob_read(path, v, sizeof(v)) ? -1 : strtol(v, NULL, 10);
}

/* Saves, sets and guards (restored at exit and on signals) the fault attributes. */
static int configure_attrs(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	char why[256];

	n_attr_knobs = 0;
	for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++)
		for (size_t i = 0; i < sizeof(common_settings) / sizeof(common_settings[0]); i++)
			add_attr_knob(attrs[a], &common_settings[i]);
	for (size_t i = 0; i < sizeof(page_alloc_settings) / sizeof(page_alloc_settings[0]); i++)
		add_attr_knob("fail_page_alloc", &page_alloc_settings[i]);
	cg_knobs_guard_signals(attr_knobs, n_attr_knobs, CG_GUARD_KEEP_TERM);
	if (cg_knobs_apply(attr_knobs, n_attr_knobs, why, sizeof(why))) {
		warnx_("%s", why);
		return -1;
	}
	return 0;
}

/* The fault attributes, then the THP knobs, as they were. */
static void restore_knobs(void)
{
	cg_knobs_restore(attr_knobs, n_attr_knobs);
	cg_knobs_unguard();
	cg_knobs_give_back();
}

/* ---- the random phase ---- */

static void random_phase(struct fi *f, unsigned long *slab_injected, unsigned long *page_injected)
{
	const long budget = 1000000;
	char prob[16];
	struct rng r;
	long long end = now_ms() + (long long)f->o->fi_seconds * 1000;

	*slab_injected = *page_injected = 0;
	if (f->o->fi_seconds == 0)
		return;
	snprintf(prob, sizeof(prob), "%d", f->o->fi_probability);
	attr_set("failslab", "times", "1000000");
	attr_set("fail_page_alloc", "times", "1000000");
	attr_set("failslab", "probability", prob);
	attr_set("fail_page_alloc", "probability", prob);
	rng_seed(&r, f->o->seed);
	while (now_ms() < end) {
		struct kind *k = &kinds[rng_below(&r, NKINDS)];
		long left;
		int err;

		if (f->o->fi_only && strcmp(f->o->fi_only, k->name))
			continue;
		err = run_once(f, k, 0, 1, &left);

		if (err < 0)
			break;
		k->r_attempts++;
		/* A refusal of the armed collapse is its expected outcome. */
		if (err && !(k->op == op_collapse_armed && err == EBUSY))
			k->r_failed++;
		probe(f, k->name);
	}
	attr_set("failslab", "probability", "0");
	attr_set("fail_page_alloc", "probability", "0");
	*slab_injected = (unsigned long)(budget - attr_get("failslab", "times"));
	*page_injected = (unsigned long)(budget - attr_get("fail_page_alloc", "times"));
}

/* ---- final checks, injection off ---- */

static void final_check(struct fi *f, const char *name, int ok, const char *detail)
{
	printf("  %-52s %s%s%s\n", name, ok ? "ok" : "FAILED", *detail ? ": " : "", detail);
	if (!ok)
		f->problems++;
	cg_json_object(&f->final, NULL);
	cg_json_string(&f->final, "check", name);
	cg_json_bool(&f->final, "ok", ok);
	cg_json_string(&f->final, "detail", detail);
	cg_json_end(&f->final);
}

/* want: EBUSY (refused, holes kept) or 0 (committed: no hole left). */
static void expect_collapse(struct fi *f, int e, int want, const char *while_)
{
	char name[96], detail[96];
	int err = collapse(f, e);
	long holes = holes_in_extent(f, e);

	snprintf(name, sizeof(name), "extent %d %s: %s", e, while_,
		 want ? "refused" : "collapses");
	snprintf(detail, sizeof(detail), "MADV_COLLAPSE %s, %ld holes left",
		 err ? errno_name(err) : "OK", holes);
	final_check(f, name, want ? err == want && holes == (long)EXTENT_PAGES / 2 : holes == 0,
		    detail);
}

static void refresh_vmstat(void)
{
	/* Folds the per-cpu counters, so that meminfo is exact. */
	write_file("/proc/sys/vm/stat_refresh", "1");
}

/* A child that arms its own mapping of extent e until told to exit. */
static pid_t armed_child(struct fi *f, int e, int *go)
{
	int ready[2], wait_pipe[2];
	pid_t pid;
	char c = 0;

	if (pipe(ready) || pipe(wait_pipe))
		return -1;
	pid = fork();
	if (pid == 0) {
		int u;

		/* Its copy of the write end would keep it waiting for ever. */
		close(wait_pipe[1]);
		close(ready[0]);
		u = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
		char *m = map_aligned(f->memfd, (off_t)e * (off_t)CG_EXTENT_SIZE, CG_EXTENT_SIZE,
				      RW);

		c = u >= 0 && m != MAP_FAILED && !cg_uffd_register_missing(u, m, CG_EXTENT_SIZE) ?
		    'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(wait_pipe[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(wait_pipe[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'y') {
		close(ready[0]);
		close(wait_pipe[1]);
		return -1;
	}
	close(ready[0]);
	*go = wait_pipe[1];
	return pid;
}

static void final_checks(struct fi *f)
{
	long huge_before;
	char *a1, *a2;
	int u2, go;
	pid_t child;

	printf("final checks (injection off):\n");
	for (int e = 0; e < NEXTENTS; e++)
		reset_extent(f, e);

	/* E0: the probe mapping and a child's; the last goes by exit. */
	child = armed_child(f, E_PROBE, &go);
	final_check(f, "extent 0: a child arms a second mapping", child > 0, "");
	if (child > 0) {
		expect_collapse(f, E_PROBE, EBUSY, "armed by two mms");
		cg_uffd_unregister(f->uffd, f->probe, CG_EXTENT_SIZE);
		expect_collapse(f, E_PROBE, EBUSY, "after one unregisters, child's left");
		check_extent(f, E_PROBE, 1, "extent 0 before the last goes");
		close(go);
		waitpid(child, NULL, 0);
		refresh_vmstat();
		huge_before = meminfo_kb("ShmemHugePages");
		expect_collapse(f, E_PROBE, 0, "after the child exits");
		refresh_vmstat();
		final_check(f, "extent 0: ShmemHugePages grew by 2048 kB",
			    meminfo_kb("ShmemHugePages") - huge_before == 2048, "");
		check_extent(f, E_PROBE, 0, "extent 0 collapsed");
	}

	/* E1: main uffd and a second uffd; the last goes by unregister. */
	a1 = map_aligned(f->memfd, (off_t)CG_EXTENT_SIZE, CG_EXTENT_SIZE, RW);
	a2 = map_aligned(f->memfd, (off_t)CG_EXTENT_SIZE, CG_EXTENT_SIZE, RW);
	u2 = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
	if (a1 != MAP_FAILED && a2 != MAP_FAILED && u2 >= 0 &&
	    !cg_uffd_register_missing(f->uffd, a1, CG_EXTENT_SIZE) &&
	    !cg_uffd_register_missing(u2, a2, CG_EXTENT_SIZE)) {
		expect_collapse(f, 1, EBUSY, "armed by two uffds");
		close(u2);
		expect_collapse(f, 1, EBUSY, "after one uffd closes");
		check_extent(f, 1, 1, "extent 1 before the last goes");
		cg_uffd_unregister(f->uffd, a1, CG_EXTENT_SIZE);
		expect_collapse(f, 1, 0, "after the last unregisters");
		check_extent(f, 1, 0, "extent 1 collapsed");
	} else {
		final_check(f, "extent 1: set-up", 0, errno_name(errno));
	}
	if (a1 != MAP_FAILED)
		munmap(a1, CG_EXTENT_SIZE);
	if (a2 != MAP_FAILED)
		munmap(a2, CG_EXTENT_SIZE);

	/* E2: two VMAs of one uffd; the last goes by munmap. */
	a1 = map_aligned(f->memfd, (off_t)(2 * CG_EXTENT_SIZE), CG_EXTENT_SIZE, RW);
	a2 = map_aligned(f->memfd, (off_t)(2 * CG_EXTENT_SIZE), CG_EXTENT_SIZE, RW);
	if (a1 != MAP_FAILED && a2 != MAP_FAILED &&
	    !cg_uffd_register_missing(f->uffd, a1, CG_EXTENT_SIZE) &&
	    !cg_uffd_register_missing(f->uffd, a2, CG_EXTENT_SIZE)) {
		expect_collapse(f, 2, EBUSY, "armed by two VMAs");
		munmap(a1, CG_EXTENT_SIZE);
		expect_collapse(f, 2, EBUSY, "after one VMA is unmapped");
		check_extent(f, 2, 1, "extent 2 before the last goes");
		munmap(a2, CG_EXTENT_SIZE);
		expect_collapse(f, 2, 0, "after the last is unmapped");
		check_extent(f, 2, 0, "extent 2 collapsed");
	} else {
		final_check(f, "extent 2: set-up", 0, errno_name(errno));
	}

	/* E3: armed in part (its second half) by a uffd; the last goes by close. */
	a1 = map_aligned(f->memfd, (off_t)(3 * CG_EXTENT_SIZE), CG_EXTENT_SIZE, RW);
	u2 = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
	if (a1 != MAP_FAILED && u2 >= 0 &&
	    !cg_uffd_register_missing(u2, a1 + CG_EXTENT_SIZE / 2, CG_EXTENT_SIZE / 2)) {
		expect_collapse(f, 3, EBUSY, "half armed");
		check_extent(f, 3, 1, "extent 3 before the last goes");
		close(u2);
		expect_collapse(f, 3, 0, "after its uffd closes");
		check_extent(f, 3, 0, "extent 3 collapsed");
	} else {
		final_check(f, "extent 3: set-up", 0, errno_name(errno));
	}
	if (a1 != MAP_FAILED)
		munmap(a1, CG_EXTENT_SIZE);
}

static char marker[64];

/* Marks the kernel log, so that only later reports are counted. */
static void mark_kernel_log(void)
{
	snprintf(marker, sizeof(marker), "collapse-stress: faultinj start %d.%lld", (int)getpid(),
		 now_ms());
	write_file("/dev/kmsg", marker);
}

/*
 * Lines of the kernel log after the marker with a report of trouble; -1
 * when the marker is gone (the log wrapped) or the log is unreadable.
 */
static long kernel_reports(void)
{
	static const char *const pats[] = { "WARNING:", "BUG:", "KASAN", "kmemleak", "lockdep",
					     "possible circular", "Call Trace" };
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;
	long n = 0;

	if (size <= 0 || !(buf = malloc((size_t)size + 1)))
		return -1;
	size = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (size < 0) {
		free(buf);
		return -1;
	}
	buf[size] = '\0';
	{
		char *at = strstr(buf, marker), *next;

		if (!at) {
			free(buf);
			return -1;
		}
		while ((next = strstr(at + 1, marker)))
			at = next;
		memmove(buf, at, strlen(at) + 1);
	}
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			if (strstr(line, pats[i])) {
				if (n < 10)
					printf("  kernel: %s\n", line);
				n++;
				break;
			}
		}
		if (end)
			*end = '\n';
	}
	free(buf);
	return n;
}


/* One kind of the sweep in the JSON report. */
static void kind_json(struct cg_json *j, const struct kind *k)
{
	cg_json_object(j, NULL);
	cg_json_string(j, "kind", k->name);
	cg_json_uint(j, "runs", k->iterations);
	cg_json_uint(j, "injected", k->injected);
	cg_json_uint(j, "failed", k->failed);
	cg_json_uint(j, "tolerated", k->tolerated);
	cg_json_uint(j, "complete_at", k->complete_at);
	cg_json_object(j, "errnos");
	for (int x = 0; x < X_NR; x++)
		cg_json_uint(j, x_names[x], k->errs[x]);
	cg_json_end(j);
	cg_json_uint(j, "random_attempts", k->r_attempts);
	cg_json_uint(j, "random_failed", k->r_failed);
	cg_json_end(j);
}

/* [before, after] */
static void pair_json(struct cg_json *j, const char *key, long before, long after)
{
	cg_json_array(j, key);
	cg_json_int(j, NULL, before);
	cg_json_int(j, NULL, after);
	cg_json_end(j);
}

static void on_signal(int sig)
{
	(void)sig;
	cg_exit_guard_run();	/* the knobs back */
	_exit(2);
}

int run_faultinj(const struct options *o)
{
	struct fi f = { .o = o, .uffd2 = -1 };
	unsigned long slab_injected, page_injected;
	long shmem0, huge0, shmem1 = -1, huge1 = -1, reports1;
	char *final_json = NULL, *json = NULL;
	size_t final_len = 0, json_len = 0;
	char why[256];
	int err, rc;
	FILE *j;

	if (access(DBG "failslab", F_OK) || access(DBG "fail_page_alloc", F_OK)) {
		warnx_("needs debugfs at /sys/kernel/debug with failslab and fail_page_alloc "
		       "(CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)");
		return 2;
	}
	f.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	f.mif_fd = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
	if (f.nth_fd < 0 || f.mif_fd < 0) {
		warnx_("/proc/thread-self/fail-nth or make-it-fail: %s", errno_name(errno));
		return 2;
	}
	if (shared_create(NEXTENTS * EXTENT_PAGES)) {
		warnx_("shared memory: %s", errno_name(errno));
		return 2;
	}
	catch_stop_signals(on_signal);
	cg_exit_guard_install(CG_GUARD_KEEP_TERM);
	/* The same THP settings as the stress (collapse of shmem allowed). */
	cg_khugepaged_knobs_prepare();
	if (cg_knobs_take(cg_khugepaged_knobs, cg_n_khugepaged_knobs, CG_KNOB_LOCK_WAIT_MS, why,
			  sizeof(why)))
		warnx_("THP knobs not set (%s): collapses may be refused for other reasons", why);
	if (configure_attrs()) {
		restore_knobs();
		warnx_("cannot configure the fault attributes in debugfs");
		return 2;
	}

	refresh_vmstat();
	shmem0 = meminfo_kb("Shmem");
	huge0 = meminfo_kb("ShmemHugePages");
	mark_kernel_log();

	f.buf = aligned_alloc(PAGE_SZ, PAGE_SZ);
	f.memfd = cg_memfd_create("collapse-faultinj", NEXTENTS * CG_EXTENT_SIZE);
	if (!f.buf || f.memfd < 0) {
		warnx_("memfd: %s", errno_name(f.memfd < 0 ? -f.memfd : ENOMEM));
		restore_knobs();
		return 2;
	}
	for (int e = 0; e < NEXTENTS; e++)
		if ((err = reset_extent(&f, e))) {
			warnx_("fill: %s", errno_name(-err));
			restore_knobs();
			return 2;
		}
	if ((err = monitor_start(0)) ||
	    (f.uffd = cg_uffd_open(CG_UFFD_FLAGS,
				   UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP, NULL)) < 0) {
		warnx_("monitor or userfaultfd: %s", errno_name(err ? -err : -f.uffd));
		restore_knobs();
		return 2;
	}
	monitor_add(f.uffd);
	f.u = map_aligned(f.memfd, 0, NEXTENTS * CG_EXTENT_SIZE, RW);
	f.probe = map_aligned(f.memfd, 0, CG_EXTENT_SIZE, RW);
	if (f.u == MAP_FAILED || f.probe == MAP_FAILED ||
	    (err = cg_uffd_register_missing(f.uffd, f.probe, CG_EXTENT_SIZE))) {
		warnx_("mappings: %s", errno_name(errno));
		restore_knobs();
		return 2;
	}
	registry_add(f.probe, CG_EXTENT_SIZE, 0);
	madvise(f.u, NEXTENTS * CG_EXTENT_SIZE, MADV_HUGEPAGE);
	madvise(f.probe, CG_EXTENT_SIZE, MADV_HUGEPAGE);
	f.log = open_memstream(&final_json, &final_len);
	cg_json_start(&f.final, f.log, false);
	cg_json_array(&f.final, NULL);

	printf("collapse-stress --faultinj: kernel %s, fail-nth sweep (max %d per kind), "
	       "random phase %d s at %d%%\n", cg_kernel_release(), o->fi_max_nth, o->fi_seconds,
	       o->fi_probability);
	probe(&f, "set-up");
	printf("sweep (fail-nth):\n");
	for (size_t i = 0; i < NKINDS; i++) {
		struct kind *k = &kinds[i];
		long long t0 = now_ms();

		if (o->fi_only && strcmp(o->fi_only, k->name))
			continue;
		sweep(&f, k);
		printf("  %-22s %4lu runs, %4lu injected: %4lu failed", k->name, k->iterations,
		       k->injected, k->failed);
		for (int x = 0; x < X_NR; x++)
			if (k->errs[x])
				printf(" %s %lu", x_names[x], k->errs[x]);
		printf(", %lu tolerated; complete at n=%lu (%.1f s)\n", k->tolerated, k->complete_at,
		       (double)(now_ms() - t0) / 1000);
	}
	printf("random phase (task-filter, make-it-fail, %d%%):\n", o->fi_probability);
	random_phase(&f, &slab_injected, &page_injected);
	for (size_t i = 0; i < NKINDS; i++)
		printf("  %-22s %4lu attempts, %4lu failed\n", kinds[i].name, kinds[i].r_attempts,
		       kinds[i].r_failed);
	printf("  injected: failslab %lu, fail_page_alloc %lu\n", slab_injected, page_injected);
	printf("probe collapses of the armed holey extent: %lu, refused (EBUSY) %lu\n",
	       f.probes, f.probes_refused);
	printf("collapses that failed under injection: %lu\n", f.collapses_failed);

	final_checks(&f);

	/* Everything closed: the memory must be back to the baseline. */
	munmap(f.u, NEXTENTS * CG_EXTENT_SIZE);
	munmap(f.probe, CG_EXTENT_SIZE);
	monitor_stop();		/* closes the uffds */
	close(f.memfd);
	for (int tries = 0; tries < 20; tries++) {
		refresh_vmstat();
		shmem1 = meminfo_kb("Shmem");
		huge1 = meminfo_kb("ShmemHugePages");
		if (shmem1 == shmem0 && huge1 == huge0)
			break;
		sleep_ms(250);
	}
	{
		char detail[96];

		snprintf(detail, sizeof(detail), "Shmem %ld -> %ld kB, ShmemHugePages %ld -> %ld kB",
			 shmem0, shmem1, huge0, huge1);
		final_check(&f, "meminfo back to the baseline after close", shmem1 == shmem0 &&
			    huge1 == huge0, detail);
	}
	reports1 = kernel_reports();
	{
		char detail[64];

		snprintf(detail, sizeof(detail), "%ld report lines since the start", reports1);
		final_check(&f, "no WARNING/BUG/KASAN/lockdep line in the kernel log",
			    reports1 == 0, detail);
	}
	restore_knobs();
	cg_json_end(&f.final);
	fclose(f.log);

	rc = f.problems ? 1 : 0;
	printf("checks failed: %ld\nresult: %s\n", f.problems, rc ? "FAIL" : "PASS");

	j = open_memstream(&json, &json_len);
	if (j) {
		struct cg_json w;

		cg_json_report_begin(&w, j, false, "collapse-stress");
		cg_json_string(&w, "mode", "faultinj");
		cg_json_int(&w, "max_nth", o->fi_max_nth);
		cg_json_int(&w, "random_seconds", o->fi_seconds);
		cg_json_int(&w, "probability", o->fi_probability);
		cg_json_array(&w, "sweep");
		for (size_t i = 0; i < NKINDS; i++)
			kind_json(&w, &kinds[i]);
		cg_json_end(&w);
		cg_json_object(&w, "random_injected");
		cg_json_uint(&w, "failslab", slab_injected);
		cg_json_uint(&w, "fail_page_alloc", page_injected);
		cg_json_end(&w);
		cg_json_uint(&w, "probes", f.probes);
		cg_json_uint(&w, "probes_refused", f.probes_refused);
		cg_json_uint(&w, "collapses_failed", f.collapses_failed);
		cg_json_raw(&w, "final", final_json ? final_json : "[]");
		cg_json_object(&w, "meminfo");
		pair_json(&w, "shmem_kb", shmem0, shmem1);
		pair_json(&w, "shmem_huge_kb", huge0, huge1);
		cg_json_end(&w);
		cg_json_int(&w, "kernel_reports", reports1);
		cg_json_int(&w, "checks_failed", f.problems);
		cg_json_string(&w, "result", cg_row_verdict_name(rc ? CG_ROW_FAIL : CG_ROW_PASS));
		cg_json_end(&w);
		fclose(j);
		emit_json(o, json);
	}
	free(json);
	free(final_json);
	return rc;
}
