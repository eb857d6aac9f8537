/*
 * The stress: one memfd, an armed range (pages [0, armed)) and an unarmed
 * range after it. Content rules that make a zero-fill unambiguous:
 *  - the armed range is registered (MISSING) all the time, by the anchor
 *    mapping of every process; only the pager gives it content (UFFDIO_COPY
 *    or pwrite of the pager's stamps) and it is only punched by whole
 *    extents; no thread touches it through an unarmed mapping;
 *  - the unarmed range belongs to the writer of process 0, which checks that
 *    what it wrote stays there.
 * So a zero word read through an armed mapping can only be a collapse (or
 * anything else) that filled a hole without the pager.
 */
#define _GNU_SOURCE
#include "cg_knob_hold.h"
#include "cg_thp_knobs.h"
#include "stress.h"
#include "content.h"
#include "monitor.h"
#include "report.h"
#include "shared.h"
#include "cg_uffd.h"

#include <errno.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW (PROT_READ | PROT_WRITE)
#define MAX_PROCS 8
/* After the deadline, how long threads get to wind down (TCG is slow). */
#define GRACE_MS 90000

static int leader;
static pid_t procs[MAX_PROCS];
static atomic_int procs_done;

static void on_signal(int sig)
{
	(void)sig;
	if (!atomic_exchange(&G->stop, 1))
		return;
	/* Second signal: give up at once, but leave the knobs as they were. */
	if (leader)
		cg_exit_guard_run();
	_exit(2);
}

static bool stop_requested(void)
{
	return stopping();
}

typedef void *(*thread_fn)(void *);

static int spawn(pthread_t *t, struct actor *a, struct proc_ctx *px, int id, thread_fn fn)
{
	a->px = px;
	a->id = id;
	rng_seed(&a->rng, px->o->seed * 1000003ULL + (uint64_t)px->proc * 1009ULL + (uint64_t)id + 1);
	return pthread_create(t, NULL, fn, a);
}

/* One process of the stress; returns 0, or 2 when it could not start. */
static int proc_main(const struct options *o, int proc, int memfd)
{
	struct proc_ctx px = {
		.o = o, .proc = proc, .memfd = memfd,
		.armed_pages = (unsigned long)o->armed_extents * EXTENT_PAGES,
		.total_pages = (unsigned long)(o->armed_extents + o->unarmed_extents) * EXTENT_PAGES,
	};
	pthread_t threads[64];
	struct actor actors[64];
	int n = 0, err, anchor_id;

	px.armed_len = px.armed_pages * PAGE_SZ;
	px.total_len = px.total_pages * PAGE_SZ;
	if ((err = monitor_start(proc))) {
		count_error("proc %d: monitor thread: %s", proc, errno_name(-err));
		return 2;
	}
	px.main_uffd = cg_uffd_open(CG_UFFD_FLAGS,
				    UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP, NULL);
	if (px.main_uffd < 0) {
		count_error("proc %d: userfaultfd with EVENT_FORK|EVENT_REMAP: %s", proc,
			    errno_name(-px.main_uffd));
		monitor_stop();
		return 2;
	}
	monitor_add(px.main_uffd);
	px.anchor = map_aligned(memfd, 0, px.armed_len, RW);
	px.cmap = map_aligned(memfd, 0, px.total_len, RW);
	if (px.anchor == MAP_FAILED || px.cmap == MAP_FAILED) {
		count_error("proc %d: mmap: %s", proc, errno_name(errno));
		monitor_stop();
		return 2;
	}
	anchor_id = registry_add(px.anchor, px.armed_len, 0);
	if ((err = cg_uffd_register_missing(px.main_uffd, px.anchor, px.armed_len))) {
		count_error("proc %d: UFFDIO_REGISTER MISSING over the memfd: %s", proc,
			    errno_name(-err));
		monitor_stop();
		return 2;
	}
	for (int i = 0; i < 2; i++) {
		madvise(px.anchor, px.armed_len, MADV_HUGEPAGE);
		madvise(px.cmap, px.total_len, MADV_HUGEPAGE);
	}
	if (proc == 0) {
		px.wmap = map_aligned(memfd, (off_t)px.armed_len, px.total_len - px.armed_len, RW);
		if (px.wmap == MAP_FAILED) {
			count_error("proc 0: mmap of the unarmed range: %s", errno_name(errno));
			monitor_stop();
			return 2;
		}
		madvise(px.wmap, px.total_len - px.armed_len, MADV_HUGEPAGE);
		madvise(px.wmap, px.total_len - px.armed_len, MADV_HUGEPAGE);
	}

	for (int i = 0; i < o->readers; i++, n++)
		err |= spawn(&threads[n], &actors[n], &px, n, reader_main);
	for (int i = 0; i < o->workers; i++, n++)
		err |= spawn(&threads[n], &actors[n], &px, n, worker_main);
	err |= spawn(&threads[n], &actors[n], &px, n, collapser_main), n++;
	err |= spawn(&threads[n], &actors[n], &px, n, puncher_main), n++;
	err |= spawn(&threads[n], &actors[n], &px, n, forker_main), n++;
	if (proc == 0)
		err |= spawn(&threads[n], &actors[n], &px, n, writer_main), n++;
	if (err) {
		count_error("proc %d: pthread_create failed", proc);
		atomic_store(&G->stop, 1);
	}

	if (proc == 0) {
		long long deadline = G->start_ms + (long long)o->seconds * 1000;

		while (!stopping() && now_ms() < deadline)
			sleep_ms(50);
		atomic_store(&G->stop, 1);
	} else {
		while (!stopping())
			sleep_ms(50);
	}
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);

	cg_uffd_unregister(px.main_uffd, px.anchor, px.armed_len);
	registry_del(anchor_id);
	munmap(px.anchor, px.armed_len);
	munmap(px.cmap, px.total_len);
	if (px.wmap)
		munmap(px.wmap, px.total_len - px.armed_len);
	monitor_stop();
	return 0;
}

struct watchdog_arg {
	struct stress_summary *summary;
	int nprocs;
};

/* Gives the run GRACE_MS after the stop to wind down, then reports it stuck. */
static void *watchdog_main(void *arg)
{
	struct watchdog_arg *w = arg;
	long long limit;

	while (!stopping())
		sleep_ms(100);
	limit = now_ms() + GRACE_MS;
	while (now_ms() < limit) {
		if (atomic_load(&procs_done))
			return NULL;
		sleep_ms(100);
	}
	w->summary->stuck = 1;
	w->summary->result = "ERROR";
	w->summary->elapsed_ms = now_ms() - G->start_ms;
	kstats_read(&w->summary->after);
	cg_knobs_give_back();
	report_stress(w->summary);
	for (int i = 1; i < w->nprocs; i++)
		if (procs[i] > 0)
			kill(procs[i], SIGKILL);
	_exit(2);
}

/* The pager's content for about half the armed pages, before the start. */
static int prefill(int memfd, unsigned long armed_pages, uint64_t seed)
{
	void *buf = aligned_alloc(PAGE_SZ, PAGE_SZ);
	struct rng r;

	if (!buf)
		return -ENOMEM;
	rng_seed(&r, seed);
	for (unsigned long i = 0; i < armed_pages; i++) {
		if (rng_below(&r, 2))
			continue;
		cg_stamp_fill(buf, PAGE_SZ, cg_stamp(PAGER_MAGIC, 0, i));
		if (pwrite(memfd, buf, PAGE_SZ, (off_t)(i * PAGE_SZ)) != (ssize_t)PAGE_SZ) {
			int err = errno;

			free(buf);
			return -err;
		}
	}
	free(buf);
	return 0;
}

int run_stress(const struct options *o)
{
	unsigned long armed_pages = (unsigned long)o->armed_extents * EXTENT_PAGES;
	unsigned long total_pages = armed_pages + (unsigned long)o->unarmed_extents * EXTENT_PAGES;
	struct stress_summary summary = { .o = o, .result = "PASS" };
	struct watchdog_arg warg = { &summary, o->procs };
	pthread_t watchdog;
	int memfd, err, rc = 0;

	leader = 1;
	if (shared_create(total_pages)) {
		warnx_("cannot allocate shared memory: %s", errno_name(errno));
		return 2;
	}
	memfd = cg_memfd_create("collapse-stress", total_pages * PAGE_SZ);
	if (memfd < 0) {
		warnx_("memfd: %s", errno_name(-memfd));
		return 2;
	}
	if ((err = prefill(memfd, armed_pages, o->seed))) {
		warnx_("prefill: %s", errno_name(-err));
		return 2;
	}
	catch_stop_signals(on_signal);
	/* on_signal stops the run; the guard restores the knobs on the other signals. */
	cg_exit_guard_install(CG_GUARD_KEEP_TERM);
	if (o->khugepaged) {
		char why[256];

		cg_khugepaged_knobs_prepare();
		cg_khugepaged_knobs_scan_sleep(o->scan_sleep_ms);
		cg_knobs_wait_unless(stop_requested);
		summary.khugepaged_tuned = cg_knobs_take(cg_khugepaged_knobs, cg_n_khugepaged_knobs,
							 CG_KNOB_LOCK_WAIT_MS, why, sizeof(why)) == 0;
		if (!summary.khugepaged_tuned)
			warnx_("khugepaged not tuned (%s): only MADV_COLLAPSE collapses", why);
	}
	kstats_read(&summary.before);
	G->start_ms = now_ms();

	for (int p = 1; p < o->procs; p++) {
		procs[p] = fork();
		if (procs[p] == 0) {
			char tag[32];

			leader = 0;
			/* Never outlive the leader (it restores the knobs and reports). */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(2);
			snprintf(tag, sizeof(tag), "collapse-stress[%d]", p);
			set_log_tag(tag);
			_exit(proc_main(o, p, memfd));
		}
		if (procs[p] < 0) {
			warnx_("fork of process %d: %s", p, errno_name(errno));
			atomic_store(&G->stop, 1);
			break;
		}
	}
	if (pthread_create(&watchdog, NULL, watchdog_main, &warg) == 0)
		pthread_detach(watchdog);
	if (proc_main(o, 0, memfd))
		rc = 2;
	atomic_store(&G->stop, 1);
	for (int p = 1; p < o->procs; p++) {
		int status;

		if (procs[p] <= 0)
			continue;
		if (waitpid(procs[p], &status, 0) == procs[p] &&
		    (!WIFEXITED(status) || WEXITSTATUS(status)))
			rc = 2;
	}
	atomic_store(&procs_done, 1);
	summary.elapsed_ms = now_ms() - G->start_ms;
	close(memfd);
	kstats_read(&summary.after);
	cg_knobs_give_back();

	if (atomic_load(&G->violations))
		rc = 1;
	else if (atomic_load(&G->errors) && !rc)
		rc = 2;
	summary.result = rc == 0 ? "PASS" : rc == 1 ? "FAIL" : "ERROR";
	report_stress(&summary);
	return rc;
}
