#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static char log_tag[32] = "collapse-stress";

void set_log_tag(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
}

static void vlog(const char *kind, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s: %s", log_tag, kind);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line: lines of several processes do not interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
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

const char *errno_name(int err)
{
	switch (err) {
	case 0:		return "OK";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case ESRCH:	return "ESRCH";
	case EINTR:	return "EINTR";
	case EIO:	return "EIO";
	case EBADF:	return "EBADF";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case EINVAL:	return "EINVAL";
	case ENOSPC:	return "ENOSPC";
	case ENOSYS:	return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default:	return strerror(err);
	}
}

void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

uint64_t rng_next(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

unsigned long rng_below(struct rng *r, unsigned long n)
{
	return (unsigned long)(rng_next(r) % n);
}

void *reserve_aligned(size_t len)
{
	size_t span = len + EXTENT_SZ;
	char *raw = mmap(NULL, span, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *aligned;

	if (raw == MAP_FAILED)
		return MAP_FAILED;
	aligned = (char *)(((uintptr_t)raw + EXTENT_SZ - 1) & ~(EXTENT_SZ - 1));
	if (aligned > raw)
		munmap(raw, (size_t)(aligned - raw));
	if (aligned + len < raw + span)
		munmap(aligned + len, (size_t)(raw + span - (aligned + len)));
	return aligned;
}

void *map_aligned(int fd, off_t offset, size_t len, int prot)
{
	char *at = reserve_aligned(len), *got;

	if (at == MAP_FAILED)
		return MAP_FAILED;
	got = mmap(at, len, prot, MAP_SHARED | MAP_FIXED, fd, offset);
	if (got == MAP_FAILED) {
		int err = errno;

		munmap(at, len);
		errno = err;
	}
	return got;
}

int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0;

	if (fd < 0)
		return -errno;
	while (have + 1 < size) {
		ssize_t got = read(fd, buf + have, size - 1 - have);

		if (got < 0) {
			int err = errno;

			close(fd);
			return -err;
		}
		if (got == 0)
			break;
		have += (size_t)got;
	}
	close(fd);
	buf[have] = '\0';
	return (int)have;
}

int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(value), put;
	int err = 0;

	if (fd < 0)
		return -errno;
	put = write(fd, value, (size_t)len);
	if (put != len)
		err = put < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

int read_knob(const char *path, char *value, size_t size)
{
	char raw[256], *start, *end;
	int got = read_file(path, raw, sizeof(raw));

	if (got < 0)
		return got;
	start = strchr(raw, '[');
	if (start) {
		start++;
		end = strchr(start, ']');
	} else {
		start = raw;
		end = start + strcspn(start, " \n");
	}
	if (!end || (size_t)(end - start) >= size)
		return -EINVAL;
	memcpy(value, start, (size_t)(end - start));
	value[end - start] = '\0';
	return 0;
}

static long field_value(const char *path, const char *field, const char *sep)
{
	static __thread char buf[16384];
	size_t flen = strlen(field);
	char *line;

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, field, flen) && strchr(sep, line[flen]))
			return strtol(line + flen + 1, NULL, 10);
	}
	return -1;
}

long meminfo_kb(const char *field)
{
	return field_value("/proc/meminfo", field, ":");
}

long vmstat_value(const char *field)
{
	return field_value("/proc/vmstat", field, " ");
}
