#define _GNU_SOURCE
#include "kmsg.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char *const alarming[] = {
	"WARNING:", "BUG:", "possible circular locking", "possible recursive locking",
	"inconsistent lock state", "Oops",
};

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		kmsg_skip(fd);
	return fd;
}

void kmsg_skip(int fd)
{
	lseek(fd, 0, SEEK_END);
}

bool kmsg_judge(int fd, struct result *r)
{
	char record[1024];
	bool changed = false;

	for (;;) {
		ssize_t got = read(fd, record, sizeof(record) - 1);
		char *text;

		if (got < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on with the next */
		if (got <= 0)
			break;
		record[got] = '\0';
		text = strchr(record, ';');
		text = text ? text + 1 : record;
		text[strcspn(text, "\n")] = '\0';
		for (size_t i = 0; i < sizeof(alarming) / sizeof(alarming[0]); i++) {
			if (!strstr(text, alarming[i]))
				continue;
			append_to(r->detail, sizeof(r->detail), "; kernel log: %s", text);
			if (r->verdict != VERDICT_VULNERABLE)
				r->verdict = VERDICT_ERROR;
			changed = true;
			break;
		}
	}
	return changed;
}
