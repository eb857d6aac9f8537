#define _GNU_SOURCE
#include "cg_uffd.h"
#include "cg_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

static int open_by_syscall(int flags)
{
#ifdef __NR_userfaultfd
	int fd = (int)syscall(__NR_userfaultfd, flags);

	/* vm.unprivileged_userfaultfd=0 still allows user-mode-only faults. */
	if (fd < 0 && errno == EPERM)
		fd = (int)syscall(__NR_userfaultfd, flags | UFFD_USER_MODE_ONLY);
	return fd < 0 ? -errno : fd;
#else
	(void)flags;
	return -ENOSYS;
#endif
}

static int open_by_device(int flags)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	int fd, err;

	if (dev < 0)
		return -errno;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	err = errno;
	close(dev);
	return fd < 0 ? -err : fd;
}

/* A userfaultfd by any means; on failure the syscall's errno, which says most. */
static int open_any(int flags)
{
	int by_syscall = open_by_syscall(flags), by_device;

	if (by_syscall >= 0)
		return by_syscall;
	by_device = open_by_device(flags);
	if (by_device >= 0)
		return by_device;
	return by_syscall == -ENOSYS ? by_device : by_syscall;
}

static int open_with_api(int flags, uint64_t features, uint64_t *offered)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = open_any(flags);

	if (fd < 0)
		return fd;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = errno;

		close(fd);
		return -err;
	}
	if (offered)
		*offered = api.features;
	return fd;
}

int cg_uffd_open(int flags, uint64_t features, uint64_t *missing)
{
	uint64_t offered = 0, ignored;
	int fd;

	if (!missing)
		missing = &ignored;
	*missing = 0;
	if (features) {
		/* UFFDIO_API with no feature requested reports every one the kernel has. */
		fd = open_with_api(flags, 0, &offered);
		if (fd < 0)
			return fd;
		close(fd);
		if (features & ~offered) {
			*missing = features & ~offered;
			return -EOPNOTSUPP;
		}
	}
	fd = open_with_api(flags, features, NULL);
	if (fd == -EPERM && features)
		*missing = features;	/* offered, yet refused: a privilege is missing */
	return fd;
}

int cg_uffd_register(int uffd, void *addr, size_t len, uint64_t mode)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = mode,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	if ((mode & UFFDIO_REGISTER_MODE_MISSING) && !(reg.ioctls & (1ULL << _UFFDIO_COPY)))
		return -EOPNOTSUPP;
	return 0;
}

int cg_uffd_unregister(int uffd, void *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	return ioctl(uffd, UFFDIO_UNREGISTER, &range) ? -errno : 0;
}

int cg_uffd_copy(int uffd, uintptr_t dst, const void *src, size_t len)
{
	struct uffdio_copy copy = { .dst = dst, .src = (uintptr_t)src, .len = len };

	return ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;
}

int cg_uffd_wake(int uffd, uintptr_t addr, size_t len)
{
	struct uffdio_range range = { .start = addr, .len = len };

	return ioctl(uffd, UFFDIO_WAKE, &range) ? -errno : 0;
}

const char *cg_uffd_feature_names(uint64_t features)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ UFFD_FEATURE_EVENT_FORK, "EVENT_FORK" },
		{ UFFD_FEATURE_EVENT_REMAP, "EVENT_REMAP" },
		{ UFFD_FEATURE_EVENT_REMOVE, "EVENT_REMOVE" },
		{ UFFD_FEATURE_EVENT_UNMAP, "EVENT_UNMAP" },
		{ UFFD_FEATURE_MINOR_SHMEM, "MINOR_SHMEM" },
		{ UFFD_FEATURE_WP_HUGETLBFS_SHMEM, "WP_HUGETLBFS_SHMEM" },
	};
	static __thread char text[128];

	text[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(features & names[i].bit))
			continue;
		append_to(text, sizeof(text), "%s%s", text[0] ? "|" : "", names[i].name);
		features &= ~names[i].bit;
	}
	if (features)
		append_to(text, sizeof(text), "%s0x%llx", text[0] ? "|" : "",
			  (unsigned long long)features);
	return text;
}

const char *cg_uffd_mode_name(uint64_t mode)
{
	static __thread char text[32];

	text[0] = '\0';
	if (mode & UFFDIO_REGISTER_MODE_MISSING)
		append_to(text, sizeof(text), "MISSING");
	if (mode & UFFDIO_REGISTER_MODE_WP)
		append_to(text, sizeof(text), "%sWP", text[0] ? "|" : "");
	if (mode & UFFDIO_REGISTER_MODE_MINOR)
		append_to(text, sizeof(text), "%sMINOR", text[0] ? "|" : "");
	return text;
}
