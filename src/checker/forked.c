#define _GNU_SOURCE
#include "forked.h"
#include "lifecycle.h"
#include "uffd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define REAP_GRACE_MS 2000
#define MAX_FD_CLOSED 1024

struct command {
	char op;		/* 'T' touch, 'Q' quit */
	uintptr_t page;
};

static void __attribute__((noreturn))
child_main(int command_fd, int reply_fd, pid_t parent, long timeout_ms)
{
	long long give_up = now_ms() + 20 * timeout_ms + 60000;
	unsigned char *copy = malloc(page_size);

	lifecycle_forget_in_child();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent || !copy)
		_exit(1);
	/* Hold no reference to the parent's files (a uffd among them). */
	for (int fd = 3; fd < MAX_FD_CLOSED; fd++)
		if (fd != command_fd && fd != reply_fd)
			close(fd);

	for (;;) {
		struct command command;
		enum cg_page_content content;

		if (!read_full(command_fd, &command, sizeof(command), give_up) ||
		    command.op != 'T')
			break;
		for (size_t i = 0; i < page_size; i++)
			copy[i] = ((const volatile unsigned char *)command.page)[i];
		content = classify_page(copy);
		if (!write_full(reply_fd, &content, sizeof(content)))
			break;
	}
	_exit(0);
}

int forked_start(struct forked_child *child, long timeout_ms, char *why, size_t why_size)
{
	int command_pipe[2], reply_pipe[2];
	pid_t parent = getpid();

	child->pid = -1;
	child->command_fd = child->reply_fd = -1;
	if (pipe2(command_pipe, O_CLOEXEC)) {
		format_into(why, why_size, "pipe: %s", errno_name(errno));
		return -1;
	}
	if (pipe2(reply_pipe, O_CLOEXEC)) {
		format_into(why, why_size, "pipe: %s", errno_name(errno));
		close(command_pipe[0]);
		close(command_pipe[1]);
		return -1;
	}
	child->pid = fork();
	if (child->pid == 0) {
		close(command_pipe[1]);
		close(reply_pipe[0]);
		child_main(command_pipe[0], reply_pipe[1], parent, timeout_ms);
	}
	close(command_pipe[0]);
	close(reply_pipe[1]);
	child->command_fd = command_pipe[1];
	child->reply_fd = reply_pipe[0];
	if (child->pid < 0) {
		format_into(why, why_size, "fork: %s", errno_name(errno));
		close(child->command_fd);
		close(child->reply_fd);
		child->command_fd = child->reply_fd = -1;
		return -1;
	}
	lifecycle_track_child(child->pid);
	return 0;
}

bool forked_start_touch(void *arg)
{
	struct forked_child *child = arg;
	struct command command = { .op = 'T', .page = (uintptr_t)child->touch_page };

	return child->pid > 0 && write_full(child->command_fd, &command, sizeof(command));
}

void forked_exit(struct forked_child *child)
{
	struct command command = { .op = 'Q' };
	long long stop = now_ms() + REAP_GRACE_MS;

	if (child->pid <= 0)
		return;
	write_full(child->command_fd, &command, sizeof(command));
	while (waitpid(child->pid, NULL, WNOHANG) == 0) {
		if (now_ms() >= stop) {
			kill(child->pid, SIGKILL);
			while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR)
				;
			break;
		}
		sleep_ms(2);
	}
	lifecycle_untrack_child(child->pid);
	close(child->command_fd);
	close(child->reply_fd);
	child->pid = -1;
	child->command_fd = child->reply_fd = -1;
}
