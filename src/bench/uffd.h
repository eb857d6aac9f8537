/* userfaultfd: opening, MISSING registration, and a pager thread. */
#ifndef COLLAPSE_BENCH_UFFD_H
#define COLLAPSE_BENCH_UFFD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* A userfaultfd (no extra feature); -1 and fail_reason when there is none. */
int uffd_new(void);
int uffd_register_missing(int uffd, void *addr, size_t len);
int uffd_unregister(int uffd, void *addr, size_t len);

/*
 * A thread that answers every MISSING fault on `uffd` with UFFDIO_COPY of
 * a page of PAGER_BYTE. It polls with a timeout, so pager_stop() always
 * returns; a failure stops it and is kept in `error`.
 */
#define PAGER_BYTE 0xc3

struct pager {
	int uffd;
	pthread_t thread;
	atomic_bool stop;
	atomic_long served;
	char *source;
	char error[128];
	int started;
};

int pager_start(struct pager *pager, int uffd);
void pager_stop(struct pager *pager);

#endif
