/*
 * Helpers shared by the user-space programs (collapse-check, collapse-race,
 * collapse-stress, collapse-bench): errno names, the monotonic clock,
 * sleeping, bounded string formatting, PMD-aligned shared mappings and
 * verbose progress notes.
 *
 * The programs link this as an archive (libcg.a), so a program that defines
 * one of these symbols itself (collapse-stress has its own note()) does not
 * pull the library's member that defines it.
 */
#ifndef CG_UTIL_H
#define CG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One PMD-sized THP extent: the alignment of every mapping below. */
#define CG_EXTENT_SIZE (2UL << 20)

/* The running kernel's uname release and version ("unknown" if uname fails). */
const char *cg_kernel_release(void);
const char *cg_kernel_version(void);

/* "EBUSY" rather than "Device or resource busy"; "0" for 0, "errno N" if unknown. */
const char *errno_name(int err);

/* CLOCK_MONOTONIC in milliseconds / nanoseconds; sleeps resume after signals. */
long long now_ms(void);
void sleep_ms(long ms);
uint64_t now_ns(void);
void sleep_ns(uint64_t ns);

/* vsnprintf into buf, truncating quietly. */
void format_into(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends to what buf holds, truncating quietly. */
void append_to(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like append_to, separated by "; " from what buf already holds. */
void append_sep(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A sysfs knob's text: "always [madvise] never" -> "madvise"; "511\n" -> "511". */
int knob_value(const char *raw, char *value, size_t size);

/* A PROT_NONE placeholder of len bytes at a CG_EXTENT_SIZE-aligned address, or MAP_FAILED. */
void *reserve_aligned(size_t len);
/* Maps [offset, offset + len) of fd shared at a CG_EXTENT_SIZE-aligned address, or MAP_FAILED. */
void *map_aligned(int fd, off_t offset, size_t len, int prot);

/*
 * note(): with `verbose` set, one line on stderr prefixed "<cg_prog_name>: ".
 * A program that uses the library's note() defines both.
 */
/*
 * Installs handler for SIGINT, SIGTERM and SIGHUP, the signals that ask a
 * run to stop; no SA_RESTART, so a blocking call returns EINTR.
 */
void catch_stop_signals(void (*handler)(int));

extern bool verbose;
extern const char cg_prog_name[];
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
