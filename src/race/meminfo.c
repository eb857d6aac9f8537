#define _GNU_SOURCE
#include "meminfo.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void stat_refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	/* Fails with EINVAL when a counter went negative: still folded. */
	if (write(fd, "1", 1) < 0)
		note("stat_refresh: %s", errno_name(errno));
	close(fd);
}

static bool field(const char *text, const char *name, long *value)
{
	size_t len = strlen(name);

	for (const char *line = text; line && *line; ) {
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			return sscanf(line + len + 1, "%ld", value) == 1;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

int meminfo_read(struct shmem_usage *usage)
{
	char text[8192];
	ssize_t got;
	int fd;

	stat_refresh();
	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got < 0)
		return -errno;
	text[got] = '\0';
	if (!field(text, "Shmem", &usage->shmem_kb))
		return -ENOENT;
	if (!field(text, "ShmemHugePages", &usage->huge_kb))
		usage->huge_kb = 0;	/* kernel without THP */
	return 0;
}

bool meminfo_settle(const struct shmem_usage *expected, long timeout_ms,
		    struct shmem_usage *now)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		if (meminfo_read(now) == 0 &&
		    (expected->shmem_kb == MEMINFO_ANY || now->shmem_kb == expected->shmem_kb) &&
		    (expected->huge_kb == MEMINFO_ANY || now->huge_kb == expected->huge_kb))
			return true;
		if (now_ms() >= deadline)
			return false;
		sleep_ms(100);
	}
}
