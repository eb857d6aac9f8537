#define _GNU_SOURCE
#include "shared.h"
#include "content.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>

struct shared *G;

const char *const op_names[OP_NR] = {
	[OP_MMAP] = "mmap",
	[OP_MUNMAP] = "munmap",
	[OP_MUNMAP_PART] = "munmap_part",
	[OP_REGISTER] = "register",
	[OP_REGISTER_PART] = "register_part",
	[OP_UNREGISTER] = "unregister",
	[OP_UNREGISTER_PART] = "unregister_part",
	[OP_UFFD_CREATE] = "uffd_create",
	[OP_UFFD_CLOSE] = "uffd_close",
	[OP_MPROTECT] = "mprotect",
	[OP_MPROTECT_RESTORE] = "mprotect_restore",
	[OP_MREMAP] = "mremap",
	[OP_FORK] = "fork",
	[OP_CHILD_ARM] = "child_arm",
	[OP_MADV_COLLAPSE] = "madv_collapse",
	[OP_MADV_HUGEPAGE] = "madv_hugepage",
	[OP_PUNCH] = "punch_hole",
	[OP_PREFILL] = "pager_prefill",
	[OP_WRITE] = "writer_write",
	[OP_READ] = "read_armed",
};

const char *const collapse_result_names[CR_NR] = {
	[CR_OK] = "ok", [CR_EBUSY] = "ebusy", [CR_EAGAIN] = "eagain",
	[CR_ENOMEM] = "enomem", [CR_EINVAL] = "einval", [CR_OTHER] = "other",
};

enum collapse_result collapse_result_of(int err)
{
	switch (err) {
	case 0:		return CR_OK;
	case EBUSY:	return CR_EBUSY;
	case EAGAIN:	return CR_EAGAIN;
	case ENOMEM:	return CR_ENOMEM;
	case EINVAL:	return CR_EINVAL;
	default:	return CR_OTHER;
	}
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int shared_create(unsigned long npages)
{
	G = shared_alloc(sizeof(*G));
	if (!G)
		return -1;
	G->gen = shared_alloc(npages * sizeof(*G->gen));
	G->written = shared_alloc(npages * sizeof(*G->written));
	if (!G->gen || !G->written)
		return -1;
	G->start_ms = now_ms();
	return 0;
}

void count_op(enum op_kind op, int failed)
{
	atomic_fetch_add_explicit(&G->ops[op], 1, memory_order_relaxed);
	if (failed)
		atomic_fetch_add_explicit(&G->op_errors[op], 1, memory_order_relaxed);
}

void count_collapse(int err, int child)
{
	atomic_ulong *table = child ? G->child_collapse : G->collapse;

	atomic_fetch_add_explicit(&table[collapse_result_of(err)], 1, memory_order_relaxed);
}

/* Async-signal-safe (used by forked children): atomics only, no stdio. */
void record_violation(int proc, int who, int kind, long page, int word, uint64_t value)
{
	unsigned slot;

	atomic_fetch_add(&G->violations, 1);
	atomic_fetch_add(kind == PAGE_ZERO ? &G->violations_zero : &G->violations_garbage, 1);
	slot = atomic_fetch_add(&G->nsamples, 1);
	if (slot < MAX_SAMPLES) {
		struct violation_sample *s = &G->samples[slot];

		s->proc = proc;
		s->who = who;
		s->kind = kind;
		s->page = page;
		s->word = word;
		s->value = value;
		s->ms = now_ms() - G->start_ms;
	}
}

void count_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	unsigned long n = atomic_fetch_add(&G->errors, 1);

	if (n >= 20)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx_("%s", msg);
}
