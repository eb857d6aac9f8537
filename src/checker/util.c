#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

size_t page_size = 4096;
bool verbose;

size_t pages_per_extent(void)
{
	return EXTENT_SIZE / page_size;
}

#define ERRNO_ENTRY(e) { e, #e }
static const struct {
	int number;
	const char *name;
} errno_names[] = {
	ERRNO_ENTRY(EPERM),     ERRNO_ENTRY(ENOENT),    ERRNO_ENTRY(ESRCH),
	ERRNO_ENTRY(EINTR),     ERRNO_ENTRY(EIO),       ERRNO_ENTRY(ENXIO),
	ERRNO_ENTRY(E2BIG),     ERRNO_ENTRY(EBADF),     ERRNO_ENTRY(ECHILD),
	ERRNO_ENTRY(EAGAIN),    ERRNO_ENTRY(ENOMEM),    ERRNO_ENTRY(EACCES),
	ERRNO_ENTRY(EFAULT),    ERRNO_ENTRY(EBUSY),     ERRNO_ENTRY(EEXIST),
	ERRNO_ENTRY(ENODEV),    ERRNO_ENTRY(ENOTDIR),   ERRNO_ENTRY(EISDIR),
	ERRNO_ENTRY(EINVAL),    ERRNO_ENTRY(ENFILE),    ERRNO_ENTRY(EMFILE),
	ERRNO_ENTRY(ENOTTY),    ERRNO_ENTRY(EFBIG),     ERRNO_ENTRY(ENOSPC),
	ERRNO_ENTRY(ESPIPE),    ERRNO_ENTRY(EROFS),     ERRNO_ENTRY(EPIPE),
	ERRNO_ENTRY(ERANGE),    ERRNO_ENTRY(EDEADLK),   ERRNO_ENTRY(ENOSYS),
	ERRNO_ENTRY(EOPNOTSUPP), ERRNO_ENTRY(ETIMEDOUT), ERRNO_ENTRY(EPROTO),
	ERRNO_ENTRY(EHWPOISON), ERRNO_ENTRY(EOVERFLOW),
};

const char *errno_name(int err)
{
	static __thread char unknown[24];

	if (err == 0)
		return "0";
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].number == err)
			return errno_names[i].name;
	snprintf(unknown, sizeof(unknown), "errno %d", err);
	return unknown;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	fputs("collapse-check: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void format_into(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

void append_to(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strnlen(buf, size);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

/* Read exactly len bytes before the deadline. */
bool read_full(int fd, void *buf, size_t len, long long deadline)
{
	char *p = buf;

	while (len) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (left <= 0)
			return false;
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
			continue;
		got = read(fd, p, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		len -= (size_t)got;
	}
	return true;
}

bool write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t put = write(fd, p, len);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return false;
		p += put;
		len -= (size_t)put;
	}
	return true;
}
