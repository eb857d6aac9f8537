#define _GNU_SOURCE
#include "cg_uffd.h"
#include "cg_extent.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGER_POLL_MS 20

int cg_pager_init(struct cg_pager *pager, int uffd, cg_pager_fill_fn fill, void *arg)
{
	memset(pager, 0, sizeof(*pager));
	pager->uffd = uffd;
	pager->fill = fill;
	pager->arg = arg;
	pager->poll_ms = PAGER_POLL_MS;
	atomic_init(&pager->stop, false);
	atomic_init(&pager->served, 0);
	atomic_init(&pager->copy_eexist, 0);
	atomic_init(&pager->copy_errno, 0);
	atomic_init(&pager->error, 0);
	pager->page = malloc(page_size);
	if (!pager->page)
		return -ENOMEM;
	memset(pager->page, CG_SERVED_BYTE, page_size);
	return 0;
}

static long stopped_by(struct cg_pager *pager, const char *op, int err)
{
	pager->error_op = op;
	atomic_store(&pager->error, err);
	return -err;
}

/* 0 when served or left alone, else the -errno of the copy (or of the wake after EEXIST). */
static int serve(struct cg_pager *pager, uintptr_t address)
{
	uintptr_t dst = address & ~(uintptr_t)(page_size - 1);
	int err, woke;

	if (pager->fill && !pager->fill(pager, dst, pager->page))
		return 0;
	err = cg_uffd_copy(pager->uffd, dst, pager->page, page_size);
	if (!err) {
		atomic_fetch_add(&pager->served, 1);
		return 0;
	}
	if (err == -EEXIST)
		atomic_fetch_add(&pager->copy_eexist, 1);
	else
		atomic_store(&pager->copy_errno, -err);
	/* Whatever filled the page meanwhile: let the faulting thread retry. */
	woke = cg_uffd_wake(pager->uffd, dst, page_size);
	return err == -EEXIST ? woke : err;
}

long cg_pager_run(struct cg_pager *pager)
{
	struct pollfd pfd = { .fd = pager->uffd, .events = POLLIN };
	struct uffd_msg msgs[16];

	while (!atomic_load(&pager->stop)) {
		ssize_t got;
		int ready = poll(&pfd, 1, pager->poll_ms);

		if (ready < 0 && errno != EINTR)
			return stopped_by(pager, "poll", errno);
		if (ready <= 0)
			continue;
		if (pfd.revents & (POLLERR | POLLNVAL))
			return stopped_by(pager, "poll", EBADF);
		got = read(pager->uffd, msgs, sizeof(msgs));
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return stopped_by(pager, "read", errno);
		}
		for (size_t i = 0; i < (size_t)got / sizeof(msgs[0]); i++) {
			int err;

			if (msgs[i].event != UFFD_EVENT_PAGEFAULT)
				continue;
			err = serve(pager, (uintptr_t)msgs[i].arg.pagefault.address);
			if (err && pager->stop_on_copy_error)
				return stopped_by(pager, "UFFDIO_COPY", -err);
		}
	}
	return 0;
}

static void *pager_main(void *arg)
{
	cg_pager_run(arg);
	return NULL;
}

int cg_pager_start(struct cg_pager *pager)
{
	int err = pthread_create(&pager->thread, NULL, pager_main, pager);

	if (err)
		return -err;
	pager->started = true;
	return 0;
}

void cg_pager_stop(struct cg_pager *pager)
{
	if (pager->started) {
		atomic_store(&pager->stop, true);
		pthread_join(pager->thread, NULL);
		pager->started = false;
	}
	free(pager->page);
	pager->page = NULL;
}
