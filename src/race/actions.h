/*
 * The racing actions a row runs while the collapse is parked, each in its
 * own thread (ctx->action) so that one that blocks in the kernel cannot
 * stall the thread that must write "release", and the two ways a row
 * judges one while parked: it must complete, or it must stay blocked.
 */
#ifndef COLLAPSE_RACE_ACTIONS_H
#define COLLAPSE_RACE_ACTIONS_H

#include "race.h"

/* Starts fn(ctx) in ctx->action; false (row failed) if it could not. */
bool action_start(struct race_ctx *ctx, const char *what, long (*fn)(void *arg));

/*
 * The thread must finish, with 0, while the collapse is still parked
 * (the kernel must not make it wait for the collapse).
 */
bool completes_while_parked(struct race_ctx *ctx, struct worker *w);
/*
 * The thread must block in the kernel (state D: a page lock, a rwsem)
 * and still be blocked BLOCK_PROBE_MS after it started.
 */
bool stays_blocked(struct race_ctx *ctx, struct worker *w);
/*
 * After release: an action that was still running must complete, with 0
 * (one that completed while parked was judged then).
 */
void action_completes_after_release(struct race_ctx *ctx);
/* Same for a registration, which must also have returned after the release. */
void registration_completes_after_release(struct race_ctx *ctx);

/* Thread functions: 0 or -errno. */
long act_register(void *ctx);			/* UFFDIO_REGISTER MISSING of amap */
long act_register_and_observe(void *ctx);	/* then lseek and mincore at once */
long act_copy(void *ctx);			/* UFFDIO_COPY into COPY_PAGE */
long act_write(void *ctx);			/* pwrite the pager's page at WRITE_PAGE */
long act_fallocate(void *ctx);			/* fallocate mode 0 of FALLOC_PAGE */
long act_punch_mixed(void *ctx);		/* punch PUNCH_FIRST..+PUNCH_PAGES */
long act_punch_hole(void *ctx);			/* punch PUNCH_HOLE_PAGE, a hole */
long act_truncate_to_zero(void *ctx);
long act_truncate_to_half(void *ctx);

/* The pages the actions work on (even = populated, odd = hole). */
#define FAULT_PAGE	1
#define COPY_PAGE	3
#define WRITE_PAGE	9
#define FALLOC_PAGE	11
#define PUNCH_HOLE_PAGE	1
#define PUNCH_FIRST	16	/* 16-23: four populated pages, four holes */
#define PUNCH_PAGES	8

#endif
