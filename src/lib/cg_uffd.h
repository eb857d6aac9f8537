/*
 * userfaultfd for every program: opening it on any kernel with the
 * UFFDIO_API features asked for, registering and unregistering ranges,
 * copying a page into a hole and waking a faulter, the names of modes and
 * features, and a pager thread that serves every MISSING fault.
 *
 * Every function returns a negative errno on failure; the caller says what
 * it was doing (cg_uffd_mode_name/cg_uffd_feature_names help).
 */
#ifndef CG_UFFD_H
#define CG_UFFD_H

#include <fcntl.h>	/* O_CLOEXEC, O_NONBLOCK for cg_uffd_open */
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The flags every program opens its userfaultfd with. */
#define CG_UFFD_FLAGS (O_CLOEXEC | O_NONBLOCK)

/*
 * A userfaultfd after the UFFDIO_API handshake with `features`; `flags`
 * are O_CLOEXEC and O_NONBLOCK as wanted. Tries userfaultfd(2), again with
 * UFFD_USER_MODE_ONLY on EPERM (vm.unprivileged_userfaultfd=0), then
 * /dev/userfaultfd. Returns the fd or -errno. When userfaultfd works but
 * cannot give the features, *missing (if not NULL) holds the ones it lacks:
 * -EOPNOTSUPP when the kernel does not offer them, -EPERM when it refused
 * them (e.g. EVENT_FORK without CAP_SYS_PTRACE); otherwise *missing is 0.
 */
int cg_uffd_open(int flags, uint64_t features, uint64_t *missing);

/*
 * UFFDIO_REGISTER of [addr, addr + len) in `mode` (UFFDIO_REGISTER_MODE_*
 * bits): 0 or -errno; -EOPNOTSUPP when MISSING mode does not offer
 * UFFDIO_COPY on the range.
 */
int cg_uffd_register(int uffd, void *addr, size_t len, uint64_t mode);
static inline int cg_uffd_register_missing(int uffd, void *addr, size_t len)
{
	return cg_uffd_register(uffd, addr, len, UFFDIO_REGISTER_MODE_MISSING);
}
int cg_uffd_unregister(int uffd, void *addr, size_t len);
/* UFFDIO_COPY of len bytes from src to dst (page-aligned): 0 or -errno. */
int cg_uffd_copy(int uffd, uintptr_t dst, const void *src, size_t len);
/* UFFDIO_WAKE of the threads faulting in [addr, addr + len): 0 or -errno. */
int cg_uffd_wake(int uffd, uintptr_t addr, size_t len);

/* "MISSING|WP"; "EVENT_FORK|EVENT_REMAP": per-thread buffers. */
const char *cg_uffd_mode_name(uint64_t mode);
const char *cg_uffd_feature_names(uint64_t features);

/*
 * A pager: answers every MISSING fault on `uffd` with UFFDIO_COPY of one
 * page, and wakes the faulter when the copy fails (EEXIST: the page was
 * filled meanwhile). Set up with cg_pager_init, then either run the loop on
 * a thread of one's own (cg_pager_run) or on a new one (cg_pager_start).
 */
struct cg_pager;
/*
 * Fills `page` with what to serve at page address `dst`; false to leave
 * the fault alone. NULL: every page is CG_SERVED_BYTE.
 */
typedef bool (*cg_pager_fill_fn)(struct cg_pager *pager, uintptr_t dst, void *page);

struct cg_pager {
	int uffd;
	cg_pager_fill_fn fill;
	void *arg;			/* for fill */
	int poll_ms;			/* how soon a stop is seen */
	bool stop_on_copy_error;	/* else note it in copy_errno and go on */
	atomic_bool stop;
	atomic_long served;		/* UFFDIO_COPY succeeded */
	atomic_long copy_eexist;	/* UFFDIO_COPY found the page filled */
	atomic_int copy_errno;		/* the last other UFFDIO_COPY failure */
	atomic_int error;		/* why the loop stopped by itself (errno) */
	const char *error_op;		/* and at what: "poll", "read", "UFFDIO_COPY" */
	void *page;
	pthread_t thread;
	bool started;
};

/* 0 or -errno (no memory for the page). */
int cg_pager_init(struct cg_pager *pager, int uffd, cg_pager_fill_fn fill, void *arg);
/* The loop, until pager->stop or an error: 0 or -errno. */
long cg_pager_run(struct cg_pager *pager);
/* cg_pager_run on a new thread: 0 or -errno. */
int cg_pager_start(struct cg_pager *pager);
/* Stops and joins the thread if started, and frees the page. */
void cg_pager_stop(struct cg_pager *pager);

#endif
