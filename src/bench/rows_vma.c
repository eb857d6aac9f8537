/*
 * VMA rows: userfaultfd registration, mmap/munmap, mprotect split and merge,
 * fork. The series accounts armed shmem VMAs when they are linked, unlinked
 * or change their MISSING bit; these are the paths that pay for it.
 */
#define _GNU_SOURCE
#include "rows.h"
#include "shm.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORK_MAPPINGS 64
/* mprotect changes pages [MPROTECT_FIRST, MPROTECT_FIRST + MPROTECT_PAGES). */
#define MPROTECT_FIRST 8
#define MPROTECT_PAGES 8

struct vma_ctx {
	int fds[FORK_MAPPINGS];
	char *maps[FORK_MAPPINGS];
	size_t len;
	int n;
	bool anon;
	int uffd;
};

static void vma_teardown(void *arg)
{
	struct vma_ctx *c = arg;

	if (!c)
		return;
	if (c->uffd >= 0)
		close(c->uffd);
	for (int i = 0; i < c->n; i++) {
		if (c->maps[i])
			munmap(c->maps[i], c->len);
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	}
	free(c);
}

/* n mappings of one extent each: anonymous, or each of its own memfd. */
static struct vma_ctx *vma_new(int n, bool anon, bool armed)
{
	struct vma_ctx *c = calloc(1, sizeof(*c));

	if (!c) {
		fail("out of memory");
		return NULL;
	}
	c->uffd = -1;
	c->len = CG_EXTENT_SIZE;
	c->anon = anon;
	for (int i = 0; i < n; i++)
		c->fds[i] = -1;
	c->n = n;
	for (int i = 0; i < n; i++) {
		if (anon) {
			c->maps[i] = mmap(NULL, c->len, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (c->maps[i] == MAP_FAILED) {
				c->maps[i] = NULL;
				fail("mmap anonymous: %s", errno_name(errno));
				goto failed;
			}
			continue;
		}
		c->fds[i] = shm_create("collapse-bench-vma", c->len);
		if (c->fds[i] < 0)
			goto failed;
		c->maps[i] = shm_map_aligned(c->fds[i], 0, c->len);
		if (!c->maps[i])
			goto failed;
	}
	if (armed || n == 1) {
		c->uffd = uffd_new();
		if (c->uffd < 0)
			goto failed;
	}
	if (armed)
		for (int i = 0; i < n; i++)
			if (uffd_register_missing(c->uffd, c->maps[i], c->len))
				goto failed;
	return c;
failed:
	vma_teardown(c);
	return NULL;
}

static int setup_register_shmem(void **ctx)
{
	return (*ctx = vma_new(1, false, false)) ? 0 : -1;
}

static int setup_register_anon(void **ctx)
{
	return (*ctx = vma_new(1, true, false)) ? 0 : -1;
}

static int run_register(void *arg, long reps, uint64_t *timed_ns)
{
	struct vma_ctx *c = arg;
	uint64_t t0 = now_ns();

	for (long i = 0; i < reps; i++)
		if (uffd_register_missing(c->uffd, c->maps[0], c->len) ||
		    uffd_unregister(c->uffd, c->maps[0], c->len))
			return -1;
	*timed_ns += now_ns() - t0;
	return 0;
}

static int run_mmap_munmap(void *arg, long reps, uint64_t *timed_ns)
{
	struct vma_ctx *c = arg;
	uint64_t t0 = now_ns();

	for (long i = 0; i < reps; i++) {
		void *p = mmap(NULL, c->len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fds[0], 0);

		if (p == MAP_FAILED)
			return fail("mmap memfd: %s", errno_name(errno));
		if (munmap(p, c->len))
			return fail("munmap: %s", errno_name(errno));
	}
	*timed_ns += now_ns() - t0;
	return 0;
}

/* Lines of /proc/self/maps that show the memfd "collapse-bench-vma". */
static int count_vmas(void)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!maps)
		return fail("/proc/self/maps: %s", errno_name(errno));
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "memfd:collapse-bench-vma "))
			n++;
	fclose(maps);
	return n;
}

static int mprotect_pair(struct vma_ctx *c)
{
	char *part = c->maps[0] + MPROTECT_FIRST * page_size;
	size_t len = MPROTECT_PAGES * page_size;

	if (mprotect(part, len, PROT_READ))
		return fail("mprotect PROT_READ: %s", errno_name(errno));
	if (mprotect(part, len, PROT_READ | PROT_WRITE))
		return fail("mprotect PROT_READ|PROT_WRITE: %s", errno_name(errno));
	return 0;
}

/* One pair must split the VMA in three and merge it back into one. */
static int setup_mprotect(void **ctx, bool armed)
{
	struct vma_ctx *c = vma_new(1, false, armed);
	char *part;
	int before, during, after;

	if (!c)
		return -1;
	part = c->maps[0] + MPROTECT_FIRST * page_size;
	before = count_vmas();
	if (mprotect(part, MPROTECT_PAGES * page_size, PROT_READ))
		goto failed_errno;
	during = count_vmas();
	if (mprotect(part, MPROTECT_PAGES * page_size, PROT_READ | PROT_WRITE))
		goto failed_errno;
	after = count_vmas();
	if (before != 1 || during != 3 || after != 1) {
		fail("mprotect: %d VMA(s), %d split, %d merged back; expected 1, 3, 1",
		     before, during, after);
		goto failed;
	}
	*ctx = c;
	return 0;
failed_errno:
	fail("mprotect: %s", errno_name(errno));
failed:
	vma_teardown(c);
	return -1;
}

static int setup_mprotect_unarmed(void **ctx)
{
	return setup_mprotect(ctx, false);
}

static int setup_mprotect_armed(void **ctx)
{
	return setup_mprotect(ctx, true);
}

static int run_mprotect(void *arg, long reps, uint64_t *timed_ns)
{
	struct vma_ctx *c = arg;
	uint64_t t0 = now_ns();

	for (long i = 0; i < reps; i++)
		if (mprotect_pair(c))
			return -1;
	*timed_ns += now_ns() - t0;
	return 0;
}

static int setup_fork_unarmed(void **ctx)
{
	return (*ctx = vma_new(FORK_MAPPINGS, false, false)) ? 0 : -1;
}

static int setup_fork_armed(void **ctx)
{
	return (*ctx = vma_new(FORK_MAPPINGS, false, true)) ? 0 : -1;
}

static int run_fork(void *arg, long reps, uint64_t *timed_ns)
{
	uint64_t t0 = now_ns();

	(void)arg;
	for (long i = 0; i < reps; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork: %s", errno_name(errno));
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			return fail("waitpid: %s", errno_name(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return fail("child ended with status %#x", status);
	}
	*timed_ns += now_ns() - t0;
	return 0;
}

const struct row vma_rows[] = {
	{ "uffd-register-shmem",
	  "UFFDIO_REGISTER + UFFDIO_UNREGISTER (MISSING) of a 2 MiB shmem mapping",
	  CLASS_ARMED, setup_register_shmem, run_register, vma_teardown, 0 },
	{ "uffd-register-anon",
	  "UFFDIO_REGISTER + UFFDIO_UNREGISTER (MISSING) of a 2 MiB anonymous mapping",
	  CLASS_ARMED, setup_register_anon, run_register, vma_teardown, 0 },
	{ "mmap-munmap-shmem",
	  "mmap + munmap of a 2 MiB shared memfd mapping",
	  CLASS_PLAIN, setup_register_shmem, run_mmap_munmap, vma_teardown, 0 },
	{ "mprotect-unarmed",
	  "mprotect splits a shmem VMA in three, a second one merges it back",
	  CLASS_PLAIN, setup_mprotect_unarmed, run_mprotect, vma_teardown, 0 },
	{ "mprotect-armed",
	  "the same on a VMA armed MISSING (each split/merge is accounted)",
	  CLASS_ARMED, setup_mprotect_armed, run_mprotect, vma_teardown, 0 },
	{ "fork-64-unarmed",
	  "fork + child _exit + wait, 64 shmem mappings",
	  CLASS_PLAIN, setup_fork_unarmed, run_fork, vma_teardown, 0 },
	{ "fork-64-armed",
	  "the same with the 64 mappings armed MISSING (no UFFD_FEATURE_EVENT_FORK)",
	  CLASS_ARMED, setup_fork_armed, run_fork, vma_teardown, 0 },
};
const size_t n_vma_rows = sizeof(vma_rows) / sizeof(vma_rows[0]);
