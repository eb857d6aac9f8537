/*
 * The pager of one process: a dedicated thread that reads every event of a
 * changing set of userfaultfds (fork and remap events block fork() and
 * mremap() until read) and serves each MISSING fault with UFFDIO_COPY of
 * the pager's content for the faulting page.
 *
 * The page of a fault address is found in the registry of the process's
 * mappings of the memfd, which their owners keep up to date.
 */
#ifndef STRESS_MONITOR_H
#define STRESS_MONITOR_H

#include <stddef.h>
#include <sys/types.h>

int monitor_start(int proc);
/* Stops the thread and closes every fd of its set. */
void monitor_stop(void);

/* Adds a userfaultfd to the set (the monitor owns it from now on). */
int monitor_add(int uffd);
/* Removes a userfaultfd from the set and closes it; returns once closed. */
void monitor_close(int uffd);
/* Around fork(): no uffd of the set is closed meanwhile. */
void monitor_fork_begin(void);
void monitor_fork_end(void);
/* Fork events received so far (each adds the child's uffd to the set). */
unsigned long monitor_fork_fds(void);
/*
 * The children of every fork fd numbered up to n are gone: close those fds.
 * Only valid when one thread of the process forks.
 */
void monitor_forget_forks(unsigned long n);

/* Registry of mappings of the memfd: address range -> file page offset. */
int registry_add(void *addr, size_t len, unsigned long pgoff);
void registry_move(int id, void *addr, size_t len);
void registry_del(int id);

#endif
