/* Small helpers shared by every part of collapse-stress. */
#ifndef STRESS_UTIL_H
#define STRESS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cg_extent.h"
#include "cg_util.h"

#define PAGE_SZ      4096UL
#define EXTENT_PAGES (CG_EXTENT_SIZE / PAGE_SZ)

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/* Diagnostics on stderr, prefixed with the program name and process number. */
void set_log_tag(const char *tag);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* xorshift64*, one state per thread. */
struct rng {
	uint64_t s;
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n), n > 0. */
unsigned long rng_below(struct rng *r, unsigned long n);

/* map_aligned() and reserve_aligned(): cg_util.h; memfd extents: cg_extent.h. */

/* Reads a whole small file into buf (NUL-terminated); -errno on failure. */
int read_file(const char *path, char *buf, size_t size);
int write_file(const char *path, const char *value);
/* A field of /proc/meminfo in kB, or -1. */
long meminfo_kb(const char *field);
/* A field of /proc/vmstat, or -1. */
long vmstat_value(const char *field);

#endif
