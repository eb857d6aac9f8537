/*
 * State shared by every process of a run (MAP_SHARED anonymous memory):
 * the stop flag, counters and samples of violations. Counters are lock-free
 * atomics, so forked children may update them too.
 */
#ifndef STRESS_SHARED_H
#define STRESS_SHARED_H

#include <stdatomic.h>
#include <stdint.h>

enum op_kind {
	OP_MMAP,
	OP_MUNMAP,
	OP_MUNMAP_PART,
	OP_REGISTER,
	OP_REGISTER_PART,
	OP_UNREGISTER,
	OP_UNREGISTER_PART,
	OP_UFFD_CREATE,
	OP_UFFD_CLOSE,
	OP_MPROTECT,
	OP_MPROTECT_RESTORE,
	OP_MREMAP,
	OP_FORK,
	OP_CHILD_ARM,
	OP_MADV_COLLAPSE,
	OP_MADV_HUGEPAGE,
	OP_PUNCH,
	OP_PREFILL,
	OP_WRITE,
	OP_READ,
	OP_NR
};

extern const char *const op_names[OP_NR];

/* MADV_COLLAPSE outcomes. */
enum collapse_result {
	CR_OK,
	CR_EBUSY,
	CR_EAGAIN,
	CR_ENOMEM,
	CR_EINVAL,
	CR_OTHER,
	CR_NR
};

extern const char *const collapse_result_names[CR_NR];
enum collapse_result collapse_result_of(int err);

enum reader_kind { WHO_READER, WHO_WORKER, WHO_CHILD, WHO_WRITER };

struct violation_sample {
	int proc;
	int who;		/* enum reader_kind */
	int kind;		/* enum page_verdict */
	int word;
	long page;
	uint64_t value;
	long long ms;		/* since the start of the run */
};

#define MAX_SAMPLES 16

struct shared {
	atomic_int stop;
	long long start_ms;
	atomic_ulong ops[OP_NR];
	atomic_ulong op_errors[OP_NR];	/* the syscall failed */
	atomic_ulong collapse[CR_NR];
	atomic_ulong child_collapse[CR_NR];
	atomic_ulong collapses_committed;	/* collapser: holey extent left without holes */
	atomic_ulong faults;		/* PAGEFAULT events read */
	atomic_ulong served;		/* UFFDIO_COPY done */
	atomic_ulong copy_eexist;
	atomic_ulong copy_eagain;
	atomic_ulong copy_gone;		/* ENOENT/ESRCH: the faulting mm went away */
	atomic_ulong fork_events;
	atomic_ulong remap_events;
	atomic_ulong pages_checked;
	atomic_ulong violations;
	atomic_ulong violations_zero;
	atomic_ulong violations_garbage;
	atomic_ulong lost_writes;	/* writer's pages found changed */
	atomic_ulong errors;		/* the stress itself misbehaved */
	atomic_uint nsamples;
	struct violation_sample samples[MAX_SAMPLES];
	/* Generation of the content the pager supplies, per page. */
	atomic_ushort *gen;
	/* Writer: page written (unarmed range), per page. */
	atomic_uchar *written;
};

extern struct shared *G;

/* Allocates G and its per-page arrays for a file of npages pages. */
int shared_create(unsigned long npages);
void count_op(enum op_kind op, int failed);
void count_collapse(int err, int child);
void record_violation(int proc, int who, int kind, long page, int word, uint64_t value);
void count_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int stopping(void)
{
	return atomic_load_explicit(&G->stop, memory_order_relaxed);
}

#endif
