#define _GNU_SOURCE
#include "cg_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

const char *errno_name(int err)
{
	static __thread char unknown[24];
	const char *name = err ? strerrorname_np(err) : "0";

	if (name)
		return name;
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

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
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

void append_sep(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strnlen(buf, size);
	va_list ap;

	if (used + 3 >= size)
		return;
	if (used) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

int knob_value(const char *raw, char *value, size_t size)
{
	const char *start, *end;

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

static const struct utsname *kernel_identity(void)
{
	static struct utsname uts;
	static bool known;

	if (!known) {
		if (uname(&uts)) {
			strcpy(uts.release, "unknown");
			strcpy(uts.version, "unknown");
		}
		known = true;
	}
	return &uts;
}

const char *cg_kernel_release(void)
{
	return kernel_identity()->release;
}

const char *cg_kernel_version(void)
{
	return kernel_identity()->version;
}
