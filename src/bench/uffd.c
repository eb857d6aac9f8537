#define _GNU_SOURCE
#include "uffd.h"
#include "util.h"

#include <stdint.h>

/* The library's userfaultfd (cg_uffd.h) with bench's fail() reasons. */

int uffd_new(void)
{
	int fd = cg_uffd_open(CG_UFFD_FLAGS, 0, NULL);

	return fd < 0 ? fail("userfaultfd: %s", errno_name(-fd)) : fd;
}

int uffd_register_missing(int uffd, void *addr, size_t len)
{
	int err = cg_uffd_register_missing(uffd, addr, len);

	return err ? fail("UFFDIO_REGISTER: %s", errno_name(-err)) : 0;
}

int uffd_unregister(int uffd, void *addr, size_t len)
{
	int err = cg_uffd_unregister(uffd, addr, len);

	return err ? fail("UFFDIO_UNREGISTER: %s", errno_name(-err)) : 0;
}

int pager_start(struct cg_pager *pager, int uffd)
{
	int err = cg_pager_init(pager, uffd, NULL, NULL);

	pager->poll_ms = PAGER_POLL_MS;
	pager->stop_on_copy_error = true;
	if (!err)
		err = cg_pager_start(pager);
	return err ? fail("pager: %s", errno_name(-err)) : 0;
}

int pager_failure(struct cg_pager *pager)
{
	int err = atomic_load(&pager->error);

	return err ? fail("pager: %s: %s", pager->error_op, errno_name(err)) : 0;
}
