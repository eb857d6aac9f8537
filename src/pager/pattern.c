#define _GNU_SOURCE
#include "pattern.h"
#include "cg_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define PAGES_PER_EXTENT (CG_EXTENT_SIZE / PAGER_PAGE)
/* Extent 5 of the pattern is all zero; elsewhere one page in eight. */
#define ZERO_EXTENT 5

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

bool pattern_page_is_zero(size_t page)
{
	if (page / PAGES_PER_EXTENT == ZERO_EXTENT)
		return true;
	return mix64(page ^ 0x5a5a000000000000ULL) % 8 == 0;
}

void pattern_page(size_t page, unsigned char *buf)
{
	uint64_t *word = (uint64_t *)buf;
	size_t n = PAGER_PAGE / sizeof(*word);

	if (pattern_page_is_zero(page)) {
		memset(buf, 0, PAGER_PAGE);
		return;
	}
	for (size_t i = 0; i < n; i++)
		word[i] = mix64(((uint64_t)page << 12) | i);
	word[0] |= 1;	/* a data page is never all zero */
}

int pattern_write_file(const char *path, size_t len)
{
	unsigned char buf[PAGER_PAGE];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	for (size_t page = 0; page < len / PAGER_PAGE; page++) {
		ssize_t put;

		pattern_page(page, buf);
		put = write(fd, buf, sizeof(buf));
		if (put != (ssize_t)sizeof(buf)) {
			int err = put < 0 ? errno : EIO;

			close(fd);
			return -err;
		}
	}
	if (close(fd))
		return -errno;
	return 0;
}

size_t pattern_zero_pages(size_t len)
{
	size_t zero = 0;

	for (size_t page = 0; page < len / PAGER_PAGE; page++)
		zero += pattern_page_is_zero(page);
	return zero;
}

static bool all_zero(const unsigned char *p)
{
	static const unsigned char zero[PAGER_PAGE];

	return !memcmp(p, zero, PAGER_PAGE);
}

static void count_diff(struct ram_diff *diff, const unsigned char *got, size_t page)
{
	if (!diff->pages)
		diff->first = (long long)(page * PAGER_PAGE);
	diff->pages++;
	diff->zeroed += all_zero(got);
}

void pattern_compare(const unsigned char *got, size_t len, struct ram_diff *diff)
{
	unsigned char want[PAGER_PAGE];

	memset(diff, 0, sizeof(*diff));
	diff->first = -1;
	for (size_t page = 0; page < len / PAGER_PAGE; page++) {
		const unsigned char *p = got + page * PAGER_PAGE;

		pattern_page(page, want);
		if (memcmp(p, want, PAGER_PAGE))
			count_diff(diff, p, page);
	}
}

void buffer_compare(const unsigned char *got, const unsigned char *want, size_t len,
		    struct ram_diff *diff)
{
	memset(diff, 0, sizeof(*diff));
	diff->first = -1;
	for (size_t page = 0; page < len / PAGER_PAGE; page++) {
		size_t at = page * PAGER_PAGE;

		if (memcmp(got + at, want + at, PAGER_PAGE))
			count_diff(diff, got + at, page);
	}
}
