/*
 * guard-model: an exhaustive model of the race between a shmem THP collapse
 * (khugepaged / MADV_COLLAPSE, collapse_file()) and userfaultfd MISSING mode.
 *
 * Shared types.  A state is a small struct of bytes (no padding, always
 * memset before use) so that it can be hashed and compared as raw memory.
 * A scenario fixes the geometry (file indices, VMAs, which actors run); a
 * design is a table of hooks called by the actors at fixed points.
 */
#ifndef GUARD_MODEL_H
#define GUARD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_IDX 8     /* page-cache indices of the modelled file */
#define MAX_VMA 4     /* VMA slots (a fork creates one) */
#define MAX_MM 4
#define MAX_REG 2     /* registrar threads */
#define MAX_RETRIES 4 /* fault retries beyond this are reported as livelock */
#define NO_VMA 0xff

/* What a page-cache index holds. */
enum pk {
	PK_HOLE,   /* nothing: a fault finds it missing */
	PK_PAGE,   /* an uptodate, unlocked page (see content[]) */
	PK_LOCKED, /* a locked, uptodate page: an isolated small page that
		      stays in the page cache, or the published huge page
		      before unlock_page(); faults wait, UFFDIO_COPY: EEXIST,
		      lseek/mincore: data */
	PK_RETRY,  /* upstream's placeholder (XA_RETRY_ENTRY): faults and
		      lseek spin, UFFDIO_COPY: EEXIST */
	PK_NEW,    /* 6.1's huge page stored early: locked, NOT uptodate;
		      faults wait, UFFDIO_COPY: EEXIST, lseek/mincore: hole */
};

/* Where the data of a page came from. */
enum content { C_NONE, C_ORIG, C_PAGER, C_ZALLOC, C_ZEROFILL };

/* Program counter of the collapse. */
enum cphase {
	CP_SCAN_VMA,  /* khugepaged/MADV_COLLAPSE look at a VMA, mmap_lock held */
	CP_SCAN_FILE, /* hpage_collapse_scan_file(): lockless, early check */
	CP_FILL,      /* collapse_file() walk, one index per step */
	CP_COPY,      /* copy into the private huge page (publish_uptodate) */
	CP_GUARD,     /* the design's check before the commit */
	CP_COMMIT,    /* join store, when the design separates it from the guard */
	CP_FINISH,    /* 6.1: copy/zero-fill, SetPageUptodate; unlock_page */
	CP_DONE,
};

enum outcome {
	O_NONE,
	O_NOVMA,
	O_FAILFAST,
	O_REFUSED,  /* the guard: SCAN_UFFD_MISSING, EBUSY */
	O_GAVE_UP,  /* a hole was filled meanwhile: SCAN_PAGE_FILLED, EAGAIN */
	O_COMMITTED,
};

/* The faulting thread.  F_WAIT: it found the index locked (or a retry
 * entry) and waits for the page lock (spins); it looks again once the
 * collapse lets go of the index. */
enum fstate { F_IDLE, F_SLEEP, F_RETRY, F_WAIT, F_DONE };

/* Why a VMA is linked into / unlinked from the inode's i_mmap tree. */
enum lwhy { L_MMAP, L_FORK, L_MUNMAP, L_EXIT };

/* Actors.  Each step of an actor is atomic. */
enum actor {
	ACT_COLLAPSE,
	ACT_REG0,
	ACT_REG1,
	ACT_FAULT,
	ACT_PAGER,
	ACT_FORK,
	ACT_EXIT,
	ACT_MUNMAP,
	ACT_COPY,    /* a pager's UFFDIO_COPY not driven by a fault event */
	ACT_OBSERVE, /* lseek(SEEK_DATA/SEEK_HOLE) / mincore after registering */
	NR_ACTORS,
};

struct state {
	/* the inode's page cache */
	uint8_t pk[MAX_IDX];
	uint8_t content[MAX_IDX];
	/* VMAs (geometry is in the scenario) */
	uint8_t linked[MAX_VMA]; /* in mapping->i_mmap */
	uint8_t armed[MAX_VMA];  /* VM_UFFD_MISSING */
	uint8_t seen[MAX_VMA];   /* indices this VMA could have observed as
				    missing while armed (bit per index) */
	int8_t count;            /* designs 4/5: shmem_inode_info counter */
	/* collapse */
	uint8_t c_phase, c_vma, c_next, c_holes, c_isolated, c_flag;
	uint8_t c_mmap_held; /* mm + 1 whose mmap_lock (read) it holds */
	uint8_t c_xa_held;   /* holds the i_pages lock across steps */
	uint8_t c_immap_held; /* holds i_mmap_rwsem (read) across steps */
	uint8_t c_outcome;
	/* registrars: even register, odd unregister, 2 * reg_cycles done */
	uint8_t reg_pc[MAX_REG];
	/* faulting thread and its pager */
	uint8_t f_state, f_retries, f_result, f_event;
	uint8_t f_raised; /* it raised a userfaultfd event */
	/* VMA lifecycle */
	uint8_t fork_done, exit_done, munmap_done;
	/* indices for which a UFFDIO_COPY (pager or background) got EEXIST */
	uint8_t copy_eexist;
	uint8_t copy_done;
	/* observer: it asked once; the index read as missing while its VMA
	 * was armed, and that registration still stands */
	uint8_t obs_done, obs_missing;
};

struct vma_geo {
	const char *name;
	uint8_t mm;
	uint8_t first, last; /* file indices mapped, inclusive */
	bool linked, armed;  /* at the start */
};

struct scenario {
	const char *id, *title;
	int nidx;
	uint8_t present;       /* bit per index: a page at the start */
	int start, len;        /* the extent to collapse */
	int nmm;
	const char *mm_name[MAX_MM];
	int nvma;
	struct vma_geo vma[MAX_VMA];
	uint8_t scan_cands;    /* VMA slots the collapse may have scanned */
	int nreg;
	uint8_t reg_vma[MAX_REG];
	int reg_cycles;        /* register/unregister rounds (0 means 1) */
	bool faulter;
	uint8_t fault_vma, fault_idx;
	bool fork;
	uint8_t fork_parent, fork_child;
	bool event_fork;       /* UFFD_FEATURE_EVENT_FORK: child stays armed */
	bool exit_child;
	uint8_t munmap_vma;    /* NO_VMA: none */
	/* a background UFFDIO_COPY by the pager of copy_vma, while registered */
	bool copier;
	uint8_t copy_vma, copy_idx;
	/* lseek/mincore of obs_idx by the mm of obs_vma, while registered */
	bool observer;
	uint8_t obs_vma, obs_idx;
};

struct model;

/* A design: what the kernel does at each hook point. NULL = nothing. */
struct design {
	const char *id, *name;
	/* structure */
	bool fill_holes_early;  /* 6.1: the walk stores the locked, not uptodate
				   huge page into holes and over small pages;
				   otherwise holes stay empty and small pages
				   stay in the page cache, locked */
	bool publish_uptodate;  /* the data is copied into the private huge
				   page and it is marked uptodate before the
				   commit stores it (otherwise after) */
	bool recheck_holes;     /* before the guard: a recorded hole that is no
				   longer empty -> give up (SCAN_PAGE_FILLED) */
	bool retry_entries;     /* before the guard: XA_RETRY_ENTRY into every
				   hole (upstream) */
	bool mmap_over_fill;    /* seed v1: re-take mmap_lock of the scanned mm
				   before the walk, hold it to the commit */
	enum {
		HOLD_NONE,  /* guard and join store are one step */
		HOLD_XA,    /* separate steps, the i_pages lock held between */
		HOLD_IMMAP, /* separate steps, i_mmap_rwsem (read) held between */
		HOLD_NOTHING, /* separate steps, nothing held between */
	} commit_hold;
	bool reg_immap;         /* (un)registration takes i_mmap_lock_write */
	const char *reg_locks;  /* locks of a (un)registration, for traces */
	const char *guard_locks;
	/* hooks */
	void (*on_scan)(const struct model *m, struct state *s);
	bool (*early_fail)(const struct model *m, const struct state *s,
			   char *why, size_t n);
	bool (*pre_commit_refuse)(const struct model *m, struct state *s,
				  char *why, size_t n);
	void (*on_register)(const struct model *m, struct state *s, int v);
	void (*on_unregister)(const struct model *m, struct state *s, int v);
	void (*on_vma_link)(const struct model *m, struct state *s, int v,
			    enum lwhy why);
	void (*on_vma_unlink)(const struct model *m, struct state *s, int v,
			      enum lwhy why);
	bool (*invariant)(const struct model *m, const struct state *s);
	const char *of; /* variants and ablations: the design they change */
	bool variant;   /* a variant of design @of, not a design of its own */
	bool ablation;  /* a broken variant of design @of (must fail) */
};

struct model {
	const struct scenario *sc;
	const struct design *d;
};

/* Things a step did that properties look at. */
enum {
	EV_ZEROFILL = 1 << 0, /* committed a zero-fill over an observed hole */
	EV_STRICT = 1 << 1,   /* committed a hole while a VMA mapping it is armed */
	EV_COMMIT = 1 << 2,
	EV_REFUSE = 1 << 3,   /* guard refused, or early check failed */
	EV_LIVELOCK = 1 << 4,
	EV_LOSTPAGE = 1 << 5, /* commit overwrote a page someone put in a hole */
	EV_VISIBLE = 1 << 6,  /* a fault that raised an event maps zeroes of
				 the collapse through a still armed VMA */
	EV_WAITED = 1 << 7,   /* the collapse refused or gave up while a fault
				 waited on its huge page */
	EV_OBSERVED = 1 << 8, /* an index observed missing after registering
				 is now the collapse's zeroes */
	EV_GAVE_UP = 1 << 9,  /* SCAN_PAGE_FILLED */
};

struct events {
	unsigned bits;
	char why[320];
};

/* state.c: the actors */
void model_init(const struct model *m, struct state *s);
bool model_step(const struct model *m, struct state *s, int actor, int choice,
		struct events *ev, char *desc, size_t n);
int model_choices(int actor);
bool model_all_done(const struct model *m, const struct state *s);
int reg_steps(const struct scenario *sc);
bool model_lost_wakeup(const struct model *m, const struct state *s);
bool model_eexist_for_hole(const struct model *m, const struct state *s);
void model_summary(const struct model *m, const struct state *s, char *buf,
		   size_t n);
const char *actor_name(const struct model *m, int actor, char *buf, size_t n);
bool vma_maps(const struct scenario *sc, int v, int idx);
int count_armed_linked(const struct model *m, const struct state *s);

/* designs.c */
extern const struct design *const designs[];
extern const int nr_designs;
const struct design *design_by_id(const char *id);

/* scenarios.c */
extern const struct scenario sc_race, sc_one_vma, sc_edge, sc_big, sc_pager,
	sc_below, sc_above, sc_full;

/* explore.c */
enum prop {
	P_ZEROFILL,  /* no zero-fill of an index an armed VMA could see missing */
	P_VISIBLE,   /* no fault that raised an event maps collapse zeroes */
	P_STRICT,    /* no commit over a hole while a VMA mapping it is armed */
	P_FAULTS,    /* every fault ends; no deadlock, no livelock */
	P_INVARIANT, /* the design's own invariant (the count) */
	P_NOREFUSE,  /* the collapse never refuses / fails fast */
	/* issue 10: a refused collapse must be invisible to the pager */
	P_EEXIST,    /* no UFFDIO_COPY gets EEXIST for an index that is still
			a hole when the collapse is over */
	P_WAIT,      /* no fault waits on the huge page of a collapse that
			is then refused (or gives up) */
	P_OBSERVED,  /* no index observed missing (lseek/mincore) after
			registering is then filled with the collapse's zeroes */
	P_GIVES_UP,  /* witness, not a property: the collapse gives up
			because a hole was filled meanwhile */
	NR_PROPS,
};

struct trace_step {
	uint8_t actor, choice;
};

struct finding {
	bool found;
	int len;
	struct trace_step *steps; /* malloc'd, len entries */
};

struct result {
	const struct design *d;
	const struct scenario *sc;
	unsigned long states, transitions;
	int max_depth;
	bool committed_somewhere, refused_somewhere, gave_up_somewhere;
	struct finding f[NR_PROPS];
	double seconds;
};

void explore(const struct model *m, struct result *r);
void result_free(struct result *r);

/* One design run over every scenario. */
enum scen_ix {
	S_RACE,
	S_ONE,
	S_EDGE,
	S_BIG,
	S_PAGER,
	S_BELOW,
	S_ABOVE,
	S_FULL,
	NR_SCEN,
};
extern const struct scenario *const scenarios[NR_SCEN];

struct row {
	const struct design *d;
	struct result r[NR_SCEN];
	double seconds;
};

void run_row(const struct design *d, struct row *row);
void run_rows(const struct design *const *ds, struct row *rows, int n);
void row_free(struct row *row);
bool row_safe(const struct row *row);
bool row_invisible(const struct row *row);
const char *prop_name(enum prop p);

/* report.c */
#include <stdio.h>
void report_scenarios(FILE *out);
void report_table(FILE *out, const struct row *rows, int n);
void report_invisible_table(FILE *out, const struct row *rows, int n);
void report_states(FILE *out, const struct row *rows, int n);
void report_counterexamples(FILE *out, const struct row *rows, int n);
void report_trace(FILE *out, const struct result *r, enum prop p,
		  const char *indent);

#endif
