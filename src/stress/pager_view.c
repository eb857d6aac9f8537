/*
 * --pager-view: the run. The main thread is the pager and the judge; one
 * thread, the collapser, calls MADV_COLLAPSE when told. A round (pv_round.c)
 * prepares an extent, tells the collapser to go, races it after a random
 * delay, waits for MADV_COLLAPSE to return and judges the page cache.
 *
 * One round in EARLY_ONE_IN registers at once after the go, before the
 * collapse has started (it must then be refused, or fail fast); the others
 * wait until the collapser is about to call MADV_COLLAPSE, then for a delay
 * drawn from [0, window], the window being how long a collapse of the
 * same kind (plain or pinned) takes: the median of the last ones, started
 * with calibration rounds without a registration. With the time the
 * registration itself takes, registrations land in every part of the
 * collapse, and some after it.
 */
#define _GNU_SOURCE
#include "cg_knob_hold.h"
#include "cg_thp_knobs.h"
#include "pager_view.h"
#include "pv_report.h"
#include "pv_round.h"
#include "cg_uffd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RW (PROT_READ | PROT_WRITE)
#define CALIBRATION_ROUNDS 4
#define CALIBRATION_TRIES  20
#define EARLY_ONE_IN       8
/* Collapses (of one kind) whose median duration is the window. */
#define RECENT_COLLAPSES   31
/* A run whose layout keeps failing has a THP setting we did not expect. */
#define MAX_LAYOUT_SKIPS   20
/* After the deadline, how long a MADV_COLLAPSE gets to return (TCG is slow). */
#define GRACE_MS 90000

struct collapser {
	pthread_t thread;
	char *map;
	struct pv_round *_Atomic round;
	atomic_ulong go, started, done;
	atomic_int quit;
};

static atomic_int stop_requested;
static atomic_int finished;
static struct pv_tally tally;

static void on_signal(int sig)
{
	(void)sig;
	if (!atomic_exchange(&stop_requested, 1))
		return;
	cg_exit_guard_run();	/* a second signal: knobs back, give up at once */
	_exit(2);
}

static bool stop_was_requested(void)
{
	return atomic_load(&stop_requested);
}

static void *collapser_main(void *arg)
{
	struct collapser *c = arg;
	unsigned long seen = 0, go;

	for (;;) {
		unsigned spins = 0;
		struct pv_round *r;

		while ((go = atomic_load(&c->go)) == seen) {
			if (atomic_load(&c->quit))
				return NULL;
			if (++spins % 64 == 0)
				sched_yield();
		}
		seen = go;
		r = atomic_load(&c->round);
		r->collapse_start_abs = now_ns();
		atomic_store(&c->started, seen);
		r->collapse_err = madvise(c->map + (size_t)r->extent * CG_EXTENT_SIZE,
					  CG_EXTENT_SIZE, MADV_COLLAPSE) ? errno : 0;
		r->collapse_end_abs = now_ns();
		atomic_store(&c->done, seen);
	}
}

struct watchdog {
	const struct options *o;
	long long deadline_ms;
};

/* Reports the run stuck when MADV_COLLAPSE has not returned GRACE_MS after the deadline. */
static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;

	while (now_ms() < w->deadline_ms + GRACE_MS) {
		if (atomic_load(&finished))
			return NULL;
		sleep_ms(200);
	}
	cg_knobs_give_back();
	tally.stuck = 1;
	tally.elapsed_ms = now_ms() - (w->deadline_ms - (long long)w->o->seconds * 1000);
	pv_report(w->o, &tally);
	_exit(2);
}

static int open_file(struct pv_file *f)
{
	f->memfd = cg_memfd_create("collapse-pager-view", PV_EXTENTS * CG_EXTENT_SIZE);
	if (f->memfd < 0)
		return f->memfd;
	f->uffd = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);
	if (f->uffd < 0)
		return f->uffd;
	f->collapse_map = map_aligned(f->memfd, 0, PV_EXTENTS * CG_EXTENT_SIZE, RW);
	if (f->collapse_map == MAP_FAILED)
		return -errno;
	for (int e = 0; e < PV_EXTENTS; e++) {
		f->pager_map[e] = map_aligned(f->memfd, (off_t)e * (off_t)CG_EXTENT_SIZE,
					      CG_EXTENT_SIZE, RW);
		if (f->pager_map[e] == MAP_FAILED)
			return -errno;
	}
	f->pin_map = map_aligned(f->memfd, 0, PV_EXTENTS * CG_EXTENT_SIZE, RW);
	if (f->pin_map == MAP_FAILED || pipe2(f->pin_pipe, O_CLOEXEC))
		return -errno;
	f->extent_buf = aligned_alloc(PAGE_SZ, CG_EXTENT_SIZE);
	f->page_buf = aligned_alloc(PAGE_SZ, PAGE_SZ);
	return f->extent_buf && f->page_buf ? 0 : -ENOMEM;
}

static void close_file(struct pv_file *f)
{
	for (int e = 0; e < PV_EXTENTS; e++)
		if (f->pager_map[e] && f->pager_map[e] != MAP_FAILED)
			munmap(f->pager_map[e], CG_EXTENT_SIZE);
	if (f->collapse_map && f->collapse_map != MAP_FAILED)
		munmap(f->collapse_map, PV_EXTENTS * CG_EXTENT_SIZE);
	if (f->pin_map && f->pin_map != MAP_FAILED)
		munmap(f->pin_map, PV_EXTENTS * CG_EXTENT_SIZE);
	for (int i = 0; i < 2; i++)
		if (f->pin_pipe[i] >= 0)
			close(f->pin_pipe[i]);
	if (f->uffd >= 0)
		close(f->uffd);
	if (f->memfd >= 0)
		close(f->memfd);
	free(f->extent_buf);
	free(f->page_buf);
}

/* Durations of the last collapses of one kind, and their median. */
struct recent_durations {
	uint64_t ns[RECENT_COLLAPSES];
	unsigned n, next;
};

static void remember_duration(struct recent_durations *d, const struct pv_round *r)
{
	d->ns[d->next] = r->collapse_end_abs - r->collapse_start_abs;
	d->next = (d->next + 1) % RECENT_COLLAPSES;
	if (d->n < RECENT_COLLAPSES)
		d->n++;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median_duration(const struct recent_durations *d)
{
	uint64_t sorted[RECENT_COLLAPSES];

	if (!d->n)
		return 0;
	memcpy(sorted, d->ns, d->n * sizeof(sorted[0]));
	qsort(sorted, d->n, sizeof(sorted[0]), by_value);
	return sorted[d->n / 2];
}

/* Two distinct odd pages of the extent: the observed one and the copied one. */
static void pick_holes(struct rng *rng, struct pv_round *r)
{
	r->observed = 2 * (unsigned)rng_below(rng, EXTENT_PAGES / 2) + 1;
	do
		r->copied = 2 * (unsigned)rng_below(rng, EXTENT_PAGES / 2) + 1;
	while (r->copied == r->observed);
}

/* One round; 0, 1 when the layout was wrong (skipped), -errno on an error. */
static int play_round(struct pv_file *f, struct collapser *c, struct pv_round *r)
{
	int err = pv_prepare_extent(f, r);
	unsigned long seq;

	if (err)
		return err;
	atomic_store(&c->round, r);
	r->go_abs_ns = now_ns();
	seq = atomic_fetch_add(&c->go, 1) + 1;
	if (r->race) {
		while (!r->early && atomic_load(&c->started) != seq)
			;
		r->delay_from_abs = r->early ? r->go_abs_ns : now_ns();
		pv_pager_race(f, r);
	}
	while (atomic_load(&c->done) != atomic_load(&c->go))
		sched_yield();
	pv_judge(f, r);
	return pv_finish(f, r);
}

/* Calibrates the window; 0, or -errno / 1 from play_round, or -ENOTSUP. */
static int calibrate(struct pv_file *f, struct collapser *c, unsigned long *number,
		     struct recent_durations *recent)
{
	int err;

	for (int tries = 0; tries < CALIBRATION_TRIES &&
	     tally.calibration_committed < CALIBRATION_ROUNDS; tries++) {
		struct pv_round r = { .number = *number, .extent = (int)(*number % PV_EXTENTS) };

		++*number;
		err = play_round(f, c, &r);
		if (err)
			return err;
		tally.calibration_rounds++;
		tally.calibration_errno[collapse_result_of(r.collapse_err)]++;
		if (pv_committed(&r)) {
			tally.calibration_committed++;
			remember_duration(recent, &r);
		}
		if (r.content_bad || r.judge_disagrees) {
			warnx_("calibration round %lu: %s", r.number,
			       r.content_bad ? r.content_detail : "lseek and mincore disagree");
			return -EIO;
		}
	}
	if (!tally.calibration_committed)
		return -ENOTSUP;
	tally.calibration_ns = median_duration(recent);
	return 0;
}

/* The rounds until the deadline, the round limit or a signal. */
static int race_rounds(const struct options *o, struct pv_file *f, struct collapser *c,
		       long long deadline_ms, unsigned long number,
		       const struct recent_durations *calibrated)
{
	/* [0] plain rounds, [1] pinned ones: their collapses end earlier. */
	struct recent_durations recent[2] = { *calibrated, *calibrated };
	struct rng rng;

	rng_seed(&rng, o->seed);
	while (!atomic_load(&stop_requested) && now_ms() < deadline_ms &&
	       (o->rounds == 0 || tally.rounds < (unsigned long)o->rounds)) {
		struct pv_round r = { .number = number, .extent = (int)(number % PV_EXTENTS),
				      .race = true };
		int err;

		number++;
		pick_holes(&rng, &r);
		r.early = rng_below(&rng, EARLY_ONE_IN) == 0;
		r.pinned = o->pinned_one_in && rng_below(&rng, (unsigned long)o->pinned_one_in) == 0;
		tally.window_ns = median_duration(&recent[r.pinned]);
		r.delay_ns = r.early ? 0 : rng_below(&rng, tally.window_ns + 1);
		err = play_round(f, c, &r);
		if (err < 0) {
			warnx_("round %lu: %s", r.number, errno_name(-err));
			tally.errors++;
			return err;
		}
		if (err) {
			if (++tally.layout_skips > MAX_LAYOUT_SKIPS)
				return -EINVAL;
			continue;
		}
		pv_tally_round(&tally, &r);
		if (o->trace)
			pv_trace_round(&r);
		if (!r.early)
			remember_duration(&recent[r.pinned], &r);
	}
	return 0;
}

int run_pager_view(const struct options *o)
{
	struct pv_file f = { .memfd = -1, .uffd = -1, .pin_pipe = { -1, -1 } };
	struct collapser c = { .map = NULL };
	struct watchdog w = { .o = o };
	struct recent_durations recent = { .n = 0 };
	long long start_ms;
	unsigned long number = 0;
	pthread_t watchdog;
	char why[256];
	int err, rc;

	catch_stop_signals(on_signal);
	/* on_signal stops the run; the guard restores the knobs on the other signals. */
	cg_exit_guard_install(CG_GUARD_KEEP_TERM);
	cg_knobs_wait_unless(stop_was_requested);
	if (cg_knobs_take(cg_small_shmem_knobs, cg_small_shmem_knobs_prepare(),
			  CG_KNOB_LOCK_WAIT_MS, why, sizeof(why))) {
		warnx_("%s", why);
		return 2;
	}
	/* The run's time starts once the knobs are ours (another run may have held them). */
	start_ms = now_ms();
	w.deadline_ms = start_ms + (long long)o->seconds * 1000;
	if ((err = open_file(&f))) {
		warnx_("memfd, userfaultfd or mappings: %s", errno_name(-err));
		close_file(&f);
		cg_knobs_give_back();
		return 2;
	}
	c.map = f.collapse_map;
	if (pthread_create(&c.thread, NULL, collapser_main, &c)) {
		warnx_("cannot start the collapser thread");
		close_file(&f);
		cg_knobs_give_back();
		return 2;
	}
	if (pthread_create(&watchdog, NULL, watchdog_main, &w) == 0)
		pthread_detach(watchdog);

	err = calibrate(&f, &c, &number, &recent);
	if (err == -ENOTSUP)
		warnx_("MADV_COLLAPSE never collapsed a holey extent here (%lu tries): "
		       "nothing to check", tally.calibration_rounds);
	else if (err == 1)
		warnx_("after writing the even pages, the odd ones are not holes: "
		       "a THP setting allocates large pages on write");
	else if (err)
		warnx_("calibration: %s", errno_name(-err));
	else if ((err = race_rounds(o, &f, &c, w.deadline_ms, number, &recent)) == -EINVAL)
		warnx_("the odd pages were not holes after preparing, %lu times",
		       tally.layout_skips);
	if (err)
		tally.errors++;

	atomic_store(&c.quit, 1);
	pthread_join(c.thread, NULL);
	atomic_store(&finished, 1);
	tally.elapsed_ms = now_ms() - start_ms;
	close_file(&f);
	cg_knobs_give_back();
	pv_report(o, &tally);
	rc = pv_exit_code(&tally);
	return rc;
}
