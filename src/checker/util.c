#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

bool verbose;
const char cg_prog_name[] = "collapse-check";

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
