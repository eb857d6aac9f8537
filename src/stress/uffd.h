/* userfaultfd: opening, registration, the pager's copy. */
#ifndef STRESS_UFFD_H
#define STRESS_UFFD_H

#include <stddef.h>
#include <stdint.h>

/*
 * Opens a non-blocking userfaultfd with the given UFFD_FEATURE_* bits.
 * Returns the fd, or -errno.
 */
int uffd_open(uint64_t features);
/* UFFDIO_REGISTER in MISSING mode; 0 or -errno. */
int uffd_register(int uffd, void *addr, size_t len);
int uffd_unregister(int uffd, void *addr, size_t len);
/* UFFDIO_COPY of one page; 0 or -errno. */
int uffd_copy(int uffd, uintptr_t dst, const void *src);
void uffd_wake(int uffd, uintptr_t dst);

#endif
