/* The threads of one stress process (see stress.h). */
#define _GNU_SOURCE
#include "content.h"
#include "monitor.h"
#include "shared.h"
#include "stress.h"
#include "cg_uffd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW (PROT_READ | PROT_WRITE)

/* Reads one page through an armed mapping and judges it. */
static void check_armed(int proc, int who, const char *addr, unsigned long index)
{
	int word = 0;
	uint64_t value = 0;
	enum page_verdict v = check_page((const volatile uint64_t *)addr, PAGER_MAGIC,
					 index, &word, &value);

	atomic_fetch_add_explicit(&G->pages_checked, 1, memory_order_relaxed);
	if (v != PAGE_OK)
		record_violation(proc, who, v, (long)index, word, value);
}

static int madvise_err(void *addr, size_t len, int advice)
{
	return madvise(addr, len, advice) ? errno : 0;
}

static void hugepage_twice(void *addr, size_t len)
{
	count_op(OP_MADV_HUGEPAGE, madvise_err(addr, len, MADV_HUGEPAGE) != 0);
	count_op(OP_MADV_HUGEPAGE, madvise_err(addr, len, MADV_HUGEPAGE) != 0);
}

static unsigned long armed_extents(const struct proc_ctx *px)
{
	return px->armed_pages / EXTENT_PAGES;
}

/* ---- readers: pages of the anchor, at random and extent by extent ---- */

void *reader_main(void *arg)
{
	struct actor *a = arg;
	struct proc_ctx *px = a->px;

	while (!stopping()) {
		if (rng_below(&a->rng, 10) < 3) {
			unsigned long first = rng_below(&a->rng, armed_extents(px)) * EXTENT_PAGES;

			for (unsigned long i = first; i < first + EXTENT_PAGES && !stopping(); i++)
				check_armed(px->proc, WHO_READER, px->anchor + i * PAGE_SZ, i);
		} else {
			unsigned long i = rng_below(&a->rng, px->armed_pages);

			check_armed(px->proc, WHO_READER, px->anchor + i * PAGE_SZ, i);
		}
	}
	return NULL;
}

/* ---- workers: mappings of the armed range that come and go ---- */

#define NSLOTS 3

enum with { WITH_NONE, WITH_MAIN, WITH_OWN };

struct slot {
	char *addr;		/* NULL: no mapping */
	size_t len;
	unsigned long pgoff;
	int reg_id;
	size_t reg_lo, reg_hi;	/* registered bytes [lo, hi) of the mapping */
	enum with with;
	int ro;			/* part of it is PROT_READ */
};

struct worker {
	struct actor *a;
	struct proc_ctx *px;
	int own;		/* the worker's own uffd, or -1 */
	uint64_t own_features;
	struct slot s[NSLOTS];
};

static int slot_uffd(const struct worker *w, const struct slot *s)
{
	return s->with == WITH_MAIN ? w->px->main_uffd : w->own;
}

static void unarm(struct slot *s)
{
	s->reg_lo = s->reg_hi = 0;
	s->with = WITH_NONE;
}

static void do_map(struct worker *w, struct slot *s)
{
	unsigned long n = 1 + rng_below(&w->a->rng, 2), e;

	if (n > armed_extents(w->px))
		n = armed_extents(w->px);
	e = rng_below(&w->a->rng, armed_extents(w->px) - n + 1);
	s->len = n * CG_EXTENT_SIZE;
	s->pgoff = e * EXTENT_PAGES;
	s->addr = map_aligned(w->px->memfd, (off_t)(e * CG_EXTENT_SIZE), s->len, RW);
	count_op(OP_MMAP, s->addr == MAP_FAILED);
	if (s->addr == MAP_FAILED) {
		s->addr = NULL;
		return;
	}
	s->reg_id = registry_add(s->addr, s->len, s->pgoff);
	if (s->reg_id < 0) {
		count_error("worker: mapping registry full");
		munmap(s->addr, s->len);
		s->addr = NULL;
		return;
	}
	unarm(s);
	s->ro = 0;
	hugepage_twice(s->addr, s->len);
}

/* A page-aligned sub-range [lo, hi) of len bytes, neither end at the edges. */
static void sub_range(struct rng *r, size_t len, size_t *lo, size_t *hi)
{
	unsigned long pages = len / PAGE_SZ, half = pages / 2;

	*lo = (1 + rng_below(r, half - 1)) * PAGE_SZ;
	*hi = (half + 1 + rng_below(r, pages - half - 2)) * PAGE_SZ;
}

static int ensure_own_uffd(struct worker *w)
{
	static const uint64_t choices[] = {
		0, UFFD_FEATURE_EVENT_REMAP, UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP,
	};
	int fd;

	if (w->own >= 0)
		return 0;
	w->own_features = choices[rng_below(&w->a->rng, 3)];
	fd = cg_uffd_open(CG_UFFD_FLAGS, w->own_features, NULL);
	count_op(OP_UFFD_CREATE, fd < 0);
	if (fd < 0) {
		count_error("worker: userfaultfd: %s", errno_name(-fd));
		return -1;
	}
	monitor_add(fd);
	w->own = fd;
	return 0;
}

static void do_register(struct worker *w, struct slot *s)
{
	int part = rng_below(&w->a->rng, 2);
	size_t lo = 0, hi = s->len;
	enum with with = rng_below(&w->a->rng, 2) ? WITH_OWN : WITH_MAIN;
	int err;

	if (with == WITH_OWN && ensure_own_uffd(w))
		return;
	if (part)
		sub_range(&w->a->rng, s->len, &lo, &hi);
	s->with = with;
	err = cg_uffd_register_missing(slot_uffd(w, s), s->addr + lo, hi - lo);
	count_op(part ? OP_REGISTER_PART : OP_REGISTER, err != 0);
	if (err) {
		/* EBUSY: a closed uffd still held by a child; nothing is armed by us. */
		unarm(s);
		return;
	}
	s->reg_lo = lo;
	s->reg_hi = hi;
}

static void do_read(struct worker *w, struct slot *s)
{
	unsigned long pages = (s->reg_hi - s->reg_lo) / PAGE_SZ;
	unsigned long k = 1 + rng_below(&w->a->rng, 16);

	for (unsigned long i = 0; i < k; i++) {
		size_t off = s->reg_lo + rng_below(&w->a->rng, pages) * PAGE_SZ;

		check_armed(w->px->proc, WHO_WORKER, s->addr + off, s->pgoff + off / PAGE_SZ);
	}
	count_op(OP_READ, 0);
}

static void do_mprotect(struct worker *w, struct slot *s)
{
	size_t lo, hi;

	if (s->ro) {
		count_op(OP_MPROTECT_RESTORE, mprotect(s->addr, s->len, RW) != 0);
		s->ro = 0;
		return;
	}
	sub_range(&w->a->rng, s->len, &lo, &hi);
	count_op(OP_MPROTECT, mprotect(s->addr + lo, hi - lo, PROT_READ) != 0);
	s->ro = 1;
}

/*
 * How many VMAs make up [addr, addr + len), from /proc/self/maps. Only this
 * thread splits a slot's VMAs; a uffd released behind our back (by a child
 * that held it) only merges them, so one VMA stays one until we change it.
 */
static int vma_count(const char *addr, size_t len)
{
	static __thread char buf[65536];
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	int n = 0;
	char *line;

	if (read_file("/proc/self/maps", buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; *line; ) {
		char *next = strchr(line, '\n');
		uintptr_t start = strtoul(line, &line, 16), end;

		end = *line == '-' ? strtoul(line + 1, NULL, 16) : 0;
		if (start < hi && end > lo)
			n++;
		if (!next)
			break;
		line = next + 1;
	}
	return n;
}

static void do_mremap(struct worker *w, struct slot *s)
{
	char *dst, *moved;

	/*
	 * Moving several VMAs at once fails on 6.1 (EFAULT), and newer kernels
	 * may move some of them and then fail: only move a single VMA.
	 */
	if (vma_count(s->addr, s->len) != 1)
		return;
	dst = reserve_aligned(s->len);
	if (dst == MAP_FAILED) {
		count_op(OP_MREMAP, 1);
		return;
	}
	/*
	 * The registry follows before the move: once mremap unmaps the old
	 * range, another thread may map something else there and fault on it.
	 * Nobody faults on this slot meanwhile: only its worker touches it.
	 */
	registry_move(s->reg_id, dst, s->len);
	moved = mremap(s->addr, s->len, s->len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	count_op(OP_MREMAP, moved == MAP_FAILED);
	if (moved == MAP_FAILED) {
		registry_move(s->reg_id, s->addr, s->len);
		/*
		 * The reservation may already be gone (MREMAP_FIXED unmaps the
		 * target first) and its range reused by another thread: leave
		 * it alone rather than unmap someone else's mapping. EFAULT:
		 * the range is several VMAs after all (a closed uffd that a
		 * child still holds keeps its registration until the child
		 * exits).
		 */
		return;
	}
	s->addr = moved;
	/* Without UFFD_FEATURE_EVENT_REMAP the moved VMAs lose their registration. */
	if (s->with == WITH_OWN && !(w->own_features & UFFD_FEATURE_EVENT_REMAP))
		unarm(s);
}

static void do_collapse(struct worker *w, struct slot *s)
{
	int err = madvise_err(s->addr, s->len, MADV_COLLAPSE);

	(void)w;
	count_op(OP_MADV_COLLAPSE, err != 0);
	count_collapse(err, 0);
}

static void do_unregister(struct worker *w, struct slot *s)
{
	size_t mid = s->reg_lo + ((s->reg_hi - s->reg_lo) / 2 & ~(PAGE_SZ - 1));
	int err;

	if (rng_below(&w->a->rng, 10) < 4 && mid > s->reg_lo) {
		err = cg_uffd_unregister(slot_uffd(w, s), s->addr + s->reg_lo, mid - s->reg_lo);
		count_op(OP_UNREGISTER_PART, err != 0);
		if (!err)
			s->reg_lo = mid;
		return;
	}
	err = cg_uffd_unregister(slot_uffd(w, s), s->addr + s->reg_lo, s->reg_hi - s->reg_lo);
	count_op(OP_UNREGISTER, err != 0);
	if (!err)
		unarm(s);
}

static void do_munmap(struct worker *w, struct slot *s)
{
	if (s->len > CG_EXTENT_SIZE / 2 && rng_below(&w->a->rng, 10) < 3) {
		size_t keep = (s->len / 2) & ~(PAGE_SZ - 1);

		/* Registry first: the freed range may be mapped again at once. */
		registry_move(s->reg_id, s->addr, keep);
		count_op(OP_MUNMAP_PART, munmap(s->addr + keep, s->len - keep) != 0);
		s->len = keep;
		if (s->reg_hi > keep)
			s->reg_hi = keep;
		if (s->reg_lo >= s->reg_hi)
			unarm(s);
		return;
	}
	registry_del(s->reg_id);
	count_op(OP_MUNMAP, munmap(s->addr, s->len) != 0);
	s->addr = NULL;
	unarm(s);
}

static void close_own(struct worker *w)
{
	for (int i = 0; i < NSLOTS; i++)
		if (w->s[i].addr && w->s[i].with == WITH_OWN)
			unarm(&w->s[i]);
	monitor_close(w->own);
	count_op(OP_UFFD_CLOSE, 0);
	w->own = -1;
}

enum wop { W_REGISTER, W_READ, W_MPROTECT, W_MREMAP, W_COLLAPSE, W_UNREGISTER,
	   W_MUNMAP, W_CLOSE, W_NR };

static const unsigned weights[W_NR] = {
	[W_REGISTER] = 15, [W_READ] = 30, [W_MPROTECT] = 10, [W_MREMAP] = 8,
	[W_COLLAPSE] = 8, [W_UNREGISTER] = 10, [W_MUNMAP] = 6, [W_CLOSE] = 3,
};

static int applicable(const struct worker *w, const struct slot *s, enum wop op)
{
	int armed = s->reg_hi > s->reg_lo;

	switch (op) {
	case W_REGISTER:	return !armed;
	case W_READ:		return armed;
	case W_UNREGISTER:	return armed;
	case W_CLOSE:		return w->own >= 0;
	case W_MPROTECT:	return s->len >= 4 * PAGE_SZ;
	/* One VMA only: mremap fails on a range that spans several. */
	case W_MREMAP:		return !s->ro && (!armed || (s->reg_lo == 0 && s->reg_hi == s->len));
	default:		return 1;
	}
}

static void worker_step(struct worker *w)
{
	struct slot *s = &w->s[rng_below(&w->a->rng, NSLOTS)];
	unsigned total = 0, pick;
	enum wop op;

	if (!s->addr) {
		do_map(w, s);
		return;
	}
	for (op = 0; op < W_NR; op++)
		total += applicable(w, s, op) ? weights[op] : 0;
	pick = (unsigned)rng_below(&w->a->rng, total);
	for (op = 0; op < W_NR; op++) {
		unsigned wgt = applicable(w, s, op) ? weights[op] : 0;

		if (pick < wgt)
			break;
		pick -= wgt;
	}
	switch (op) {
	case W_REGISTER:	do_register(w, s); break;
	case W_READ:		do_read(w, s); break;
	case W_MPROTECT:	do_mprotect(w, s); break;
	case W_MREMAP:		do_mremap(w, s); break;
	case W_COLLAPSE:	do_collapse(w, s); break;
	case W_UNREGISTER:	do_unregister(w, s); break;
	case W_MUNMAP:		do_munmap(w, s); break;
	case W_CLOSE:		close_own(w); break;
	case W_NR:		break;
	}
}

void *worker_main(void *arg)
{
	struct worker w = { .a = arg, .px = ((struct actor *)arg)->px, .own = -1 };

	while (!stopping())
		worker_step(&w);
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &w.s[i];

		if (!s->addr)
			continue;
		if (s->reg_hi > s->reg_lo)
			cg_uffd_unregister(slot_uffd(&w, s), s->addr + s->reg_lo,
					   s->reg_hi - s->reg_lo);
		registry_del(s->reg_id);
		munmap(s->addr, s->len);
	}
	if (w.own >= 0)
		close_own(&w);
	return NULL;
}

/* ---- MADV_COLLAPSE through the never-touched mapping of the whole file ---- */

void *collapser_main(void *arg)
{
	struct actor *a = arg;
	struct proc_ctx *px = a->px;
	unsigned long extents = px->total_pages / EXTENT_PAGES;

	while (!stopping()) {
		unsigned long e = rng_below(&a->rng, extents);
		off_t start = (off_t)(e * CG_EXTENT_SIZE);
		int holey = cg_range_has_hole(px->memfd, start, CG_EXTENT_SIZE) == 1;
		int err = madvise_err(px->cmap + e * CG_EXTENT_SIZE, CG_EXTENT_SIZE, MADV_COLLAPSE);

		count_op(OP_MADV_COLLAPSE, err != 0);
		count_collapse(err, 0);
		/*
		 * 6.1 returns EINVAL (SCAN_PMD_NULL) after committing through a
		 * mapping without page table, so judge by the holes: none left
		 * where there were some. Only an estimate: the pager and the
		 * writer fill holes too, but one page at a time.
		 */
		if (holey && (err == 0 || err == EINVAL) &&
		    cg_range_has_hole(px->memfd, start, CG_EXTENT_SIZE) == 0)
			atomic_fetch_add_explicit(&G->collapses_committed, 1, memory_order_relaxed);
	}
	return NULL;
}

/* ---- hole punching and pager prefill of the armed range ---- */

void *puncher_main(void *arg)
{
	struct actor *a = arg;
	struct proc_ctx *px = a->px;
	void *buf = aligned_alloc(PAGE_SZ, PAGE_SZ);

	if (!buf) {
		count_error("puncher: out of memory");
		return NULL;
	}
	while (!stopping()) {
		unsigned long e = rng_below(&a->rng, armed_extents(px));
		unsigned long first = e * EXTENT_PAGES;

		sleep_ms(10 + (long)rng_below(&a->rng, 50));
		if (rng_below(&a->rng, 10) < 6) {
			/* Whole extents only: a partly punched THP may keep zeroes in place. */
			for (unsigned long i = first; i < first + EXTENT_PAGES; i++)
				atomic_fetch_add(&G->gen[i], 1);
			count_op(OP_PUNCH, fallocate(px->memfd, FALLOC_FL_PUNCH_HOLE |
						     FALLOC_FL_KEEP_SIZE,
						     (off_t)(e * CG_EXTENT_SIZE),
						     CG_EXTENT_SIZE) != 0);
			continue;
		}
		/* The pager supplies about half an extent ahead of the faults. */
		for (unsigned long i = first; i < first + EXTENT_PAGES; i++) {
			if (rng_below(&a->rng, 2))
				continue;
			cg_stamp_fill(buf, PAGE_SZ,
				      cg_stamp(PAGER_MAGIC, atomic_load(&G->gen[i]), i));
			if (pwrite(px->memfd, buf, PAGE_SZ, (off_t)(i * PAGE_SZ)) != (ssize_t)PAGE_SZ)
				count_error("puncher: pwrite page %lu: %s", i, errno_name(errno));
		}
		count_op(OP_PREFILL, 0);
	}
	free(buf);
	return NULL;
}

/* ---- the writer: the unarmed range, through an unarmed mapping ---- */

void *writer_main(void *arg)
{
	struct actor *a = arg;
	struct proc_ctx *px = a->px;
	unsigned long unarmed = px->total_pages - px->armed_pages;

	while (!stopping()) {
		unsigned long roll = rng_below(&a->rng, 100);
		unsigned long j = px->armed_pages + rng_below(&a->rng, unarmed);
		volatile uint64_t *p = (volatile uint64_t *)(px->wmap + (j - px->armed_pages) * PAGE_SZ);

		if (roll < 55) {
			uint64_t v = cg_stamp(WRITER_MAGIC, 0, j);

			for (unsigned long i = 0; i < PAGE_SZ / sizeof(*p); i++)
				p[i] = v;
			atomic_store(&G->written[j], 1);
			count_op(OP_WRITE, 0);
			/* One thread among many: at most about a thousand pages a second. */
			sleep_ms(1);
		} else if (roll < 98) {
			int word;
			uint64_t value;
			enum page_verdict v;

			if (!atomic_load(&G->written[j]))
				continue;
			v = check_page(p, WRITER_MAGIC, j, &word, &value);
			atomic_fetch_add_explicit(&G->pages_checked, 1, memory_order_relaxed);
			if (v != PAGE_OK) {
				atomic_fetch_add(&G->lost_writes, 1);
				record_violation(px->proc, WHO_WRITER, v, (long)j, word, value);
			}
		} else {
			unsigned long e = (j - px->armed_pages) / EXTENT_PAGES;
			unsigned long first = px->armed_pages + e * EXTENT_PAGES;

			count_op(OP_PUNCH, fallocate(px->memfd, FALLOC_FL_PUNCH_HOLE |
						     FALLOC_FL_KEEP_SIZE,
						     (off_t)(first * PAGE_SZ),
						     CG_EXTENT_SIZE) != 0);
			for (unsigned long i = first; i < first + EXTENT_PAGES; i++)
				atomic_store(&G->written[i], 0);
		}
	}
	return NULL;
}

/* ---- fork: children that read through the inherited armed anchor, or arm ---- */

/* In the child of a multi-threaded process: syscalls and atomics only. */
static void child_main(struct proc_ctx *px, int action, unsigned long e, uint64_t seed)
{
	struct rng r;

	rng_seed(&r, seed);
	/*
	 * Drop the inherited fds (the workers' uffds among them): a uffd that
	 * its worker closes must be released then, not when this child exits.
	 */
	if (px->memfd > 3)
		syscall(SYS_close_range, 3U, (unsigned)px->memfd - 1, 0U);
	syscall(SYS_close_range, (unsigned)px->memfd + 1, ~0U, 0U);
	if (action != 1) {
		for (int k = 0; k < 8; k++) {
			unsigned long i = e * EXTENT_PAGES + rng_below(&r, EXTENT_PAGES);

			check_armed(px->proc, WHO_CHILD, px->anchor + i * PAGE_SZ, i);
		}
	}
	if (action != 0) {
		int u = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
		off_t at = (off_t)(e * CG_EXTENT_SIZE);
		char *armed = map_aligned(px->memfd, at, CG_EXTENT_SIZE, RW);
		char *other = map_aligned(px->memfd, at, CG_EXTENT_SIZE, RW);

		if (u >= 0 && armed != MAP_FAILED && other != MAP_FAILED) {
			int err = cg_uffd_register_missing(u, armed, CG_EXTENT_SIZE);

			count_op(OP_CHILD_ARM, err != 0);
			if (!err) {
				err = madvise_err(other, CG_EXTENT_SIZE, MADV_COLLAPSE);
				count_collapse(err, 1);
				/* Half the children close it, the others just exit. */
				if (rng_below(&r, 2))
					close(u);
			}
		}
	}
	_exit(0);
}

void *forker_main(void *arg)
{
	struct actor *a = arg;
	struct proc_ctx *px = a->px;

	while (!stopping()) {
		int action = (int)rng_below(&a->rng, 3);
		unsigned long e = rng_below(&a->rng, armed_extents(px));
		uint64_t seed = rng_next(&a->rng);
		long long give_up;
		pid_t pid;

		sleep_ms(20 + (long)rng_below(&a->rng, 60));
		monitor_fork_begin();
		pid = fork();
		if (pid == 0)
			child_main(px, action, e, seed);
		monitor_fork_end();
		count_op(OP_FORK, pid < 0);
		if (pid < 0)
			continue;
		give_up = now_ms() + 60000;
		for (;;) {
			pid_t got = waitpid(pid, NULL, WNOHANG);

			if (got == pid || (got < 0 && errno != EINTR))
				break;
			if (now_ms() > give_up) {
				count_error("forker: child %d stuck for 60 s, killed", (int)pid);
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				break;
			}
			sleep_ms(2);
		}
		/* Every fork fd received so far belongs to a child that is gone. */
		monitor_forget_forks(monitor_fork_fds());
	}
	return NULL;
}
