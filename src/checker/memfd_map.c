#define _GNU_SOURCE
#include "memfd_map.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PAGEMAP_PRESENT   (1ULL << 63)
#define PAGEMAP_PFN_MASK  ((1ULL << 55) - 1)
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP           22

int memfd_make(size_t size, char *why, size_t why_size)
{
	int fd = cg_memfd_create("collapse-check", size);

	if (fd < 0)
		format_into(why, why_size, "memfd_create of %zu bytes: %s", size, errno_name(-fd));
	return fd < 0 ? -1 : fd;
}

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static int open_unlinked_in(const char *dir, char *why, size_t why_size)
{
	char path[128];
	int fd;

	format_into(path, sizeof(path), "%s/collapse-check.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		format_into(why, why_size, "create a file in %s: %s", dir, errno_name(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

int tmpfs_file_make(size_t size, char *how, size_t how_size, char *why, size_t why_size)
{
	static const char *const options[] = { "huge=advise,size=256m", "size=256m" };
	char dir[] = "/tmp/collapse-check-tmpfs.XXXXXX";
	struct statfs st;
	int fd = -1, err = 0;

	if (!mkdtemp(dir)) {
		format_into(why, why_size, "mkdtemp: %s", errno_name(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (!mount("collapse-check", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			   options[i])) {
			format_into(how, how_size, "private tmpfs (%s)", options[i]);
			fd = open_unlinked_in(dir, why, why_size);
			/* Detached now: it lives on only through fd. */
			umount2(dir, MNT_DETACH);
			break;
		}
		err = errno;
		if (err != EINVAL)
			break;	/* only an unknown huge= option is worth a retry */
	}
	rmdir(dir);
	if (fd < 0 && err) {
		if (statfs("/dev/shm", &st) || st.f_type != TMPFS_MAGIC) {
			format_into(why, why_size, "cannot mount a tmpfs (%s) and /dev/shm is no tmpfs",
				    errno_name(err));
			return -2;
		}
		format_into(how, how_size, "/dev/shm (mount: %s)", errno_name(err));
		fd = open_unlinked_in("/dev/shm", why, why_size);
	}
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size)) {
		format_into(why, why_size, "ftruncate tmpfs file: %s", errno_name(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int memfd_fill(int fd, size_t size, enum cg_fill fill, char *why, size_t why_size)
{
	int err = cg_extent_fill(fd, 0, size, fill);

	if (err)
		format_into(why, why_size, "pwrite memfd: %s", errno_name(-err));
	return err ? -1 : 0;
}

void *map_extents_aligned(int fd, off_t offset, size_t len)
{
	return map_aligned(fd, offset, len, PROT_READ | PROT_WRITE);
}

int count_vmas(const void *addr, size_t len)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	uintptr_t first = (uintptr_t)addr, end = first + len;
	char line[512];
	int n = 0;

	if (!maps)
		return -1;
	while (fgets(line, sizeof(line), maps)) {
		uintptr_t start, stop;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &start, &stop) == 2 &&
		    start < end && stop > first)
			n++;
	}
	fclose(maps);
	return n;
}

static int read_u64_at(const char *path, uint64_t index, uint64_t *value)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, value, sizeof(*value), (off_t)(index * sizeof(*value)));
	close(fd);
	if (got != (ssize_t)sizeof(*value))
		return got < 0 ? -errno : -EIO;
	return 0;
}

static int pfn_of(const char *addr, uint64_t *pfn)
{
	uint64_t entry;
	int err = read_u64_at("/proc/self/pagemap", (uintptr_t)addr / page_size, &entry);

	if (err)
		return err;
	if (!(entry & PAGEMAP_PRESENT))
		return -ENXIO;
	*pfn = entry & PAGEMAP_PFN_MASK;
	return *pfn ? 0 : -EPERM;	/* PFNs read as 0 without CAP_SYS_ADMIN */
}

static enum thp_state thp_by_kpageflags(const char *extent, char *how, size_t how_size)
{
	const size_t probes[] = { 0, pages_per_extent() / 2, pages_per_extent() - 2 };
	uint64_t head_pfn = 0;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t pfn, flags;
		int err = pfn_of(extent + probes[i] * page_size, &pfn);

		if (!err)
			err = read_u64_at("/proc/kpageflags", pfn, &flags);
		if (err) {
			format_into(how, how_size, "kpageflags: %s", errno_name(-err));
			return THP_UNKNOWN;
		}
		if (i == 0)
			head_pfn = pfn;
		format_into(how, how_size, "kpageflags");
		if (!(flags & (1ULL << KPF_THP)))
			return THP_NO;
		if (!(flags & (1ULL << (i == 0 ? KPF_COMPOUND_HEAD : KPF_COMPOUND_TAIL))))
			return THP_NO;
		/* A PMD THP: head 512-aligned, the probed subpages in one run. */
		if (head_pfn % pages_per_extent() || pfn != head_pfn + probes[i])
			return THP_NO;
	}
	return THP_YES;
}

/* Fallback when PFNs are hidden: a PMD mapping of the extent proves a THP. */
static enum thp_state thp_by_smaps(const char *extent, char *how, size_t how_size)
{
	FILE *smaps = fopen("/proc/self/smaps", "re");
	char line[256];
	bool in_vma = false;
	enum thp_state state = THP_UNKNOWN;

	format_into(how, how_size, "smaps");
	if (!smaps) {
		format_into(how, how_size, "smaps: %s", errno_name(errno));
		return THP_UNKNOWN;
	}
	while (fgets(line, sizeof(line), smaps)) {
		uintptr_t start, end;
		unsigned long kb;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &start, &end) == 2) {
			in_vma = start <= (uintptr_t)extent && (uintptr_t)extent < end;
			continue;
		}
		if (in_vma && (sscanf(line, "ShmemPmdMapped: %lu kB", &kb) == 1 ||
			       sscanf(line, "FilePmdMapped: %lu kB", &kb) == 1) && kb > 0)
			state = THP_YES;
	}
	fclose(smaps);
	if (state != THP_YES)
		format_into(how, how_size, "smaps shows no PMD mapping, and kpageflags unreadable");
	return state;
}

enum thp_state extent_thp_state(const char *extent, char *how, size_t how_size)
{
	const volatile char *probe = extent;
	enum thp_state state;

	/* Fault the probed pages in: pagemap and smaps only see mapped pages. */
	(void)probe[0];
	(void)probe[(pages_per_extent() / 2) * page_size];
	(void)probe[(pages_per_extent() - 2) * page_size];

	state = thp_by_kpageflags(extent, how, how_size);
	if (state != THP_YES) {
		char smaps_how[64];

		/* A PMD mapping settles it either way; otherwise keep kpageflags' word. */
		if (thp_by_smaps(extent, smaps_how, sizeof(smaps_how)) == THP_YES) {
			format_into(how, how_size, "%s", smaps_how);
			return THP_YES;
		}
		if (state == THP_UNKNOWN)
			format_into(how, how_size, "%s", smaps_how);
	}
	return state;
}
