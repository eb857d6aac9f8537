#define _GNU_SOURCE
#include "park.h"
#include "util.h"
#include "cg_knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define DEBUGFS_DIR   "/sys/kernel/debug"
#define DEBUGFS_MAGIC 0x64626720

int park_setup(char *why, size_t why_size)
{
	struct statfs fs;

	if (geteuid() != 0) {
		format_into(why, why_size, "not root");
		return -1;
	}
	if (access(PARK_PATH, R_OK | W_OK) == 0)
		return 0;
	if (statfs(DEBUGFS_DIR, &fs) || fs.f_type != DEBUGFS_MAGIC) {
		if (mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL)) {
			format_into(why, why_size, "no debugfs (mount on %s: %s)",
				    DEBUGFS_DIR, errno_name(errno));
			return -1;
		}
		note("mounted debugfs on %s", DEBUGFS_DIR);
	}
	if (access(PARK_PATH, R_OK | W_OK)) {
		format_into(why, why_size,
			    "no collapse_park in debugfs (kernel without CONFIG_DEBUG_COLLAPSE_PARK)");
		return -1;
	}
	return 0;
}

/* The facility takes one word a write, as a sysfs knob takes a value. */
static int park_write(const char *word)
{
	return cg_knob_write(PARK_PATH, word);
}

int park_arm(const char *point)
{
	return park_write(point);
}

int park_release(void)
{
	return park_write("release");
}

void park_disarm(void)
{
	park_write("none");
}

void park_reset(void)
{
	park_write("none");
	park_write("release");
}

int park_state(char *buf, size_t size)
{
	int fd = open(PARK_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	got = read(fd, buf, size - 1);
	close(fd);
	if (got < 0)
		return -errno;
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return 0;
}

bool park_wait_state(const char *want, long timeout_ms,
		     bool (*give_up)(void *arg), void *arg,
		     char *last, size_t last_size)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		if (park_state(last, last_size) == 0 && strcmp(last, want) == 0)
			return true;
		if (give_up && give_up(arg))
			return false;
		if (now_ms() >= deadline)
			return false;
		sleep_ms(5);
	}
}
