/*
 * Exhaustive breadth-first exploration of every interleaving of a scenario,
 * with state hashing.  Breadth-first order means the first time a property
 * is seen to break, the path to it is a shortest one.
 *
 * Properties (enum prop):
 *   P_ZEROFILL  a step committed a huge page that zero-fills an index which
 *               an armed VMA could have observed as missing (or overwrote a
 *               page someone stored into a hole after the walk)
 *   P_VISIBLE   a fault that raised an event through an armed VMA ends up
 *               mapping the collapse's zeroes (the user-visible damage)
 *   P_STRICT    a step committed over a hole while a VMA mapping it has
 *               VM_UFFD_MISSING (informative, stricter than needed)
 *   P_FAULTS    a state where no actor can move but not all are done (a
 *               fault left without event, page or wake-up; a deadlock); a
 *               fault asleep whose event was consumed without a wake-up
 *               (only an unregistration could still save it); or a fault
 *               that retries more than MAX_RETRIES times
 *   P_INVARIANT the design's own invariant fails in a reachable state
 *   P_NOREFUSE  the collapse refused or failed fast (precision scenarios)
 * and the three of issue 10 (a refused collapse must be invisible):
 *   P_EEXIST    the collapse is over and an index for which a UFFDIO_COPY
 *               got EEXIST is a hole
 *   P_WAIT      the collapse refused or gave up while a fault waited on
 *               its huge page
 *   P_OBSERVED  the collapse's zeroes land on an index that the observer
 *               saw missing (lseek/mincore) after registering, under that
 *               registration
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model.h"

#define MAX_STATES (1u << 24)

struct node {
	struct state s;
	uint32_t parent;
	uint8_t actor, choice;
	uint16_t depth;
};

/* Open addressing; the state's hash is kept next to its node index, so
 * that most mismatches cost no memcmp() and growing rehashes nothing. */
struct slot {
	uint32_t node; /* node index + 1, 0 = empty */
	uint32_t hash;
};

struct explorer {
	const struct model *m;
	struct result *r;
	struct node *nodes;
	uint32_t nnodes, cap;
	struct slot *table;
	uint32_t tmask;
};

/* A word at a time, then a 64-bit finaliser (murmur3's fmix64). */
static uint32_t hash_state(const struct state *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	size_t i = 0;

	for (; i + sizeof(w) <= sizeof(*s); i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	for (; i < sizeof(*s); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "guard-model: out of memory\n");
		exit(2);
	}
	return p;
}

static void grow_table(struct explorer *x)
{
	uint32_t size = x->tmask ? (x->tmask + 1) * 2 : 1024;

	struct slot *old = x->table;
	uint32_t old_size = x->tmask ? x->tmask + 1 : 0;

	x->table = calloc(size, sizeof(*x->table));
	if (!x->table) {
		fprintf(stderr, "guard-model: out of memory\n");
		exit(2);
	}
	x->tmask = size - 1;
	for (uint32_t i = 0; i < old_size; i++) {
		uint32_t h;

		if (!old[i].node)
			continue;
		h = old[i].hash & x->tmask;
		while (x->table[h].node)
			h = (h + 1) & x->tmask;
		x->table[h] = old[i];
	}
	free(old);
}

/* Returns true if @s is new (and adds it). */
static bool insert(struct explorer *x, const struct state *s, uint32_t parent,
		   int actor, int choice, int depth)
{
	uint32_t hash = hash_state(s), h;

	if ((uint64_t)(x->nnodes + 1) * 2 > (uint64_t)x->tmask + 1)
		grow_table(x);
	h = hash & x->tmask;
	while (x->table[h].node) {
		if (x->table[h].hash == hash &&
		    !memcmp(&x->nodes[x->table[h].node - 1].s, s, sizeof(*s)))
			return false;
		h = (h + 1) & x->tmask;
	}
	if (x->nnodes == MAX_STATES) {
		fprintf(stderr, "guard-model: more than %u states\n", MAX_STATES);
		exit(2);
	}
	if (x->nnodes == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		x->nodes = xrealloc(x->nodes, x->cap * sizeof(*x->nodes));
	}
	x->nodes[x->nnodes] = (struct node){
		.s = *s,
		.parent = parent,
		.actor = (uint8_t)actor,
		.choice = (uint8_t)choice,
		.depth = (uint16_t)depth,
	};
	x->table[h] = (struct slot){ .node = ++x->nnodes, .hash = hash };
	return true;
}

/* Record property @p broken by the path to node @at, plus one more step
 * (actor >= 0) if the transition itself broke it. */
static void note(struct explorer *x, enum prop p, uint32_t at, int actor,
		 int choice)
{
	struct finding *f = &x->r->f[p];
	int len = x->nodes[at].depth + (actor >= 0);
	uint32_t i = at;

	if (f->found)
		return;
	f->found = true;
	f->len = len;
	f->steps = xrealloc(NULL, (len ? len : 1) * sizeof(*f->steps));
	if (actor >= 0)
		f->steps[len - 1] = (struct trace_step){ (uint8_t)actor,
							 (uint8_t)choice };
	for (int k = x->nodes[at].depth - 1; k >= 0; k--) {
		f->steps[k] = (struct trace_step){ x->nodes[i].actor,
						   x->nodes[i].choice };
		i = x->nodes[i].parent;
	}
}

/* r->seconds: CPU time of the exploring thread (rows run in parallel). */
void explore(const struct model *m, struct result *r)
{
	struct explorer x = { .m = m, .r = r };
	struct timespec t0, t1;
	struct state init;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	memset(r, 0, sizeof(*r));
	r->d = m->d;
	r->sc = m->sc;
	model_init(m, &init);
	insert(&x, &init, 0, 0, 0, 0);
	if (m->d->invariant && !m->d->invariant(m, &init))
		note(&x, P_INVARIANT, 0, -1, 0);

	for (uint32_t q = 0; q < x.nnodes; q++) {
		struct state cur = x.nodes[q].s;
		int depth = x.nodes[q].depth;
		bool moved = false;

		if (depth > r->max_depth)
			r->max_depth = depth;
		for (int a = 0; a < NR_ACTORS; a++) {
			for (int c = 0; c < model_choices(a); c++) {
				struct state nx = cur;
				struct events ev;

				if (!model_step(m, &nx, a, c, &ev, NULL, 0))
					continue;
				moved = true;
				r->transitions++;
				if (ev.bits & (EV_ZEROFILL | EV_LOSTPAGE))
					note(&x, P_ZEROFILL, q, a, c);
				if (ev.bits & EV_VISIBLE)
					note(&x, P_VISIBLE, q, a, c);
				if (ev.bits & EV_STRICT)
					note(&x, P_STRICT, q, a, c);
				if (ev.bits & EV_WAITED)
					note(&x, P_WAIT, q, a, c);
				if (ev.bits & EV_OBSERVED)
					note(&x, P_OBSERVED, q, a, c);
				if (ev.bits & EV_GAVE_UP) {
					r->gave_up_somewhere = true;
					note(&x, P_GIVES_UP, q, a, c);
				}
				if (ev.bits & EV_LIVELOCK)
					note(&x, P_FAULTS, q, a, c);
				if (ev.bits & EV_REFUSE) {
					r->refused_somewhere = true;
					note(&x, P_NOREFUSE, q, a, c);
				}
				if (ev.bits & EV_COMMIT)
					r->committed_somewhere = true;
				if (!insert(&x, &nx, q, a, c, depth + 1))
					continue;
				if (m->d->invariant && !m->d->invariant(m, &nx))
					note(&x, P_INVARIANT, q, a, c);
				if (model_lost_wakeup(m, &nx))
					note(&x, P_FAULTS, q, a, c);
				if (model_eexist_for_hole(m, &nx))
					note(&x, P_EEXIST, q, a, c);
			}
		}
		if (!moved && !model_all_done(m, &cur))
			note(&x, P_FAULTS, q, -1, 0);
	}
	r->states = x.nnodes;
	free(x.nodes);
	free(x.table);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

void result_free(struct result *r)
{
	for (int p = 0; p < NR_PROPS; p++) {
		free(r->f[p].steps);
		r->f[p].steps = NULL;
	}
}

void run_row(const struct design *d, struct row *row)
{
	memset(row, 0, sizeof(*row));
	row->d = d;
	for (int i = 0; i < NR_SCEN; i++) {
		struct model m = { .sc = scenarios[i], .d = d };

		explore(&m, &row->r[i]);
		row->seconds += row->r[i].seconds;
	}
}

/* Every design's row, on as many threads as there are CPUs (at most
 * MAX_THREADS): the explorations share nothing but the next row's index. */
#define MAX_THREADS 8

struct row_queue {
	const struct design *const *ds;
	struct row *rows;
	int n, next;
};

static void *row_worker(void *arg)
{
	struct row_queue *q = arg;
	int i;

	while ((i = __atomic_fetch_add(&q->next, 1, __ATOMIC_RELAXED)) < q->n)
		run_row(q->ds[i], &q->rows[i]);
	return NULL;
}

void run_rows(const struct design *const *ds, struct row *rows, int n)
{
	struct row_queue q = { .ds = ds, .rows = rows, .n = n };
	pthread_t tid[MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
	int started = 0;

	for (int t = 1; t < nthreads; t++) {
		if (pthread_create(&tid[started], NULL, row_worker, &q))
			break;
		started++;
	}
	row_worker(&q);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
}

void row_free(struct row *row)
{
	for (int i = 0; i < NR_SCEN; i++)
		result_free(&row->r[i]);
}

/* Safe: no zero-fill, no zeroes seen by a fault, every fault ends, the
 * invariant holds, in every scenario. */
bool row_safe(const struct row *row)
{
	for (int i = 0; i < NR_SCEN; i++) {
		const struct result *r = &row->r[i];

		if (r->f[P_ZEROFILL].found || r->f[P_VISIBLE].found ||
		    r->f[P_FAULTS].found ||
		    r->f[P_INVARIANT].found)
			return false;
	}
	return true;
}

/* Invisible (issue 10): no EEXIST for a hole, no fault waiting for a
 * refused collapse, no observed hole filled, in every scenario. */
bool row_invisible(const struct row *row)
{
	for (int i = 0; i < NR_SCEN; i++) {
		const struct result *r = &row->r[i];

		if (r->f[P_EEXIST].found || r->f[P_WAIT].found ||
		    r->f[P_OBSERVED].found)
			return false;
	}
	return true;
}

const char *prop_name(enum prop p)
{
	switch (p) {
	case P_ZEROFILL: return "no zero-fill of an index an armed VMA can see missing";
	case P_VISIBLE: return "no fault that raised an event maps collapse zeroes";
	case P_STRICT: return "no commit over a hole while a VMA mapping it is armed";
	case P_FAULTS: return "every fault ends (no stuck state, lost wake-up, livelock)";
	case P_INVARIANT: return "count == VMAs in i_mmap with VM_UFFD_MISSING";
	case P_NOREFUSE: return "the collapse is not refused";
	case P_EEXIST: return "no copy into an index that stays a hole fails (EEXIST)";
	case P_WAIT: return "no fault waits for a collapse that is refused";
	case P_OBSERVED: return "no index observed missing after registering is filled by the collapse";
	case P_GIVES_UP: return "the collapse gives up: a hole was filled meanwhile";
	default: return "?";
	}
}
