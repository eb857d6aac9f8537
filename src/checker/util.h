/* Small helpers shared by every part of collapse-check. */
#ifndef COLLAPSE_CHECK_UTIL_H
#define COLLAPSE_CHECK_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* One PMD-sized THP extent: the unit every scenario collapses. */
#define EXTENT_SIZE (2UL << 20)

extern size_t page_size;
extern bool verbose;

size_t pages_per_extent(void);
const char *errno_name(int err);
long long now_ms(void);
void sleep_ms(long ms);

/* Read exactly len bytes before the deadline (now_ms() clock). */
bool read_full(int fd, void *buf, size_t len, long long deadline);
bool write_full(int fd, const void *buf, size_t len);

void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void format_into(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void append_to(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
