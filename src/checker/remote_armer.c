#define _GNU_SOURCE
#include "remote_armer.h"
#include "lifecycle.h"
#include "memfd_map.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMMAND_TOUCH 'T'
#define COMMAND_TOUCH_AT 'O'	/* followed by a size_t offset into the mapping */
#define COMMAND_QUIT  'Q'
#define REAP_GRACE_MS 2000

struct arm_reply {
	enum remote_arm_status status;
	char why[160];
};

static void __attribute__((noreturn))
child_main(int memfd, off_t offset, size_t len, size_t touch_offset, long timeout_ms,
	   int command_fd, int reply_fd, pid_t parent)
{
	struct arm_reply reply = { .status = REMOTE_FAILED };
	/* Never outlive a parent that forgot us, even without PDEATHSIG. */
	long long give_up = now_ms() + 3 * timeout_ms + 30000;
	char *map;
	int uffd;

	lifecycle_forget_in_child();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);

	map = map_extents_aligned(memfd, offset, len);
	if (map == MAP_FAILED) {
		format_into(reply.why, sizeof(reply.why), "child mmap memfd: %s",
			    errno_name(errno));
		write_full(reply_fd, &reply, sizeof(reply));
		_exit(1);
	}
	uffd = uffd_open(reply.why, sizeof(reply.why));
	if (uffd < 0) {
		reply.status = REMOTE_NO_UFFD;
		write_full(reply_fd, &reply, sizeof(reply));
		_exit(1);
	}
	if (uffd_register_missing(uffd, map, len, reply.why, sizeof(reply.why))) {
		write_full(reply_fd, &reply, sizeof(reply));
		_exit(1);
	}
	reply.status = REMOTE_ARMED;
	if (!write_full(reply_fd, &reply, sizeof(reply)))
		_exit(1);

	for (;;) {
		struct touch_result result;
		size_t at = touch_offset;
		char command;

		if (!read_full(command_fd, &command, 1, give_up))
			break;
		if (command == COMMAND_TOUCH_AT) {
			if (!read_full(command_fd, &at, sizeof(at), give_up) || at >= len)
				break;
		} else if (command != COMMAND_TOUCH) {
			break;
		}
		touch_hole(&uffd, map + at, timeout_ms, &result);
		if (!write_full(reply_fd, &result, sizeof(result)))
			break;
	}
	_exit(0);
}

static void reap(struct remote_armer *armer)
{
	long long stop = now_ms() + REAP_GRACE_MS;

	while (waitpid(armer->pid, NULL, WNOHANG) == 0) {
		if (now_ms() >= stop) {
			kill(armer->pid, SIGKILL);
			while (waitpid(armer->pid, NULL, 0) < 0 && errno == EINTR)
				;
			break;
		}
		sleep_ms(5);
	}
	lifecycle_untrack_child(armer->pid);
	close(armer->command_fd);
	close(armer->reply_fd);
	armer->pid = -1;
	armer->command_fd = armer->reply_fd = -1;
}

enum remote_arm_status remote_arm(struct remote_armer *armer, int memfd, off_t offset,
				  size_t len, size_t touch_offset, long timeout_ms,
				  char *why, size_t why_size)
{
	int command_pipe[2], reply_pipe[2];
	struct arm_reply reply;
	pid_t parent = getpid();

	armer->pid = -1;
	if (pipe2(command_pipe, O_CLOEXEC)) {
		format_into(why, why_size, "pipe: %s", errno_name(errno));
		return REMOTE_FAILED;
	}
	if (pipe2(reply_pipe, O_CLOEXEC)) {
		format_into(why, why_size, "pipe: %s", errno_name(errno));
		close(command_pipe[0]);
		close(command_pipe[1]);
		return REMOTE_FAILED;
	}
	fflush(NULL);
	armer->pid = fork();
	if (armer->pid == 0) {
		close(command_pipe[1]);
		close(reply_pipe[0]);
		child_main(memfd, offset, len, touch_offset, timeout_ms, command_pipe[0],
			   reply_pipe[1], parent);
	}
	close(command_pipe[0]);
	close(reply_pipe[1]);
	armer->command_fd = command_pipe[1];
	armer->reply_fd = reply_pipe[0];
	if (armer->pid < 0) {
		format_into(why, why_size, "fork: %s", errno_name(errno));
		close(armer->command_fd);
		close(armer->reply_fd);
		return REMOTE_FAILED;
	}
	lifecycle_track_child(armer->pid);

	if (!read_full(armer->reply_fd, &reply, sizeof(reply), now_ms() + timeout_ms)) {
		format_into(why, why_size, "child did not report arming within %ld ms",
			    timeout_ms);
		reap(armer);
		return REMOTE_FAILED;
	}
	if (reply.status != REMOTE_ARMED) {
		format_into(why, why_size, "%s", reply.why);
		reap(armer);
	}
	return reply.status;
}

static bool remote_touch_command(struct remote_armer *armer, const void *command,
				 size_t command_len, long timeout_ms,
				 struct touch_result *result, char *why, size_t why_size)
{
	/* The child bounds its own test by timeout_ms, plus its wake-up grace. */
	long long deadline = now_ms() + timeout_ms + 5000;

	if (!write_full(armer->command_fd, command, command_len)) {
		format_into(why, why_size, "child gone before the touch: %s", errno_name(errno));
		return false;
	}
	if (!read_full(armer->reply_fd, result, sizeof(*result), deadline)) {
		format_into(why, why_size, "child did not report the touch test in time");
		return false;
	}
	return true;
}

bool remote_touch(struct remote_armer *armer, long timeout_ms, struct touch_result *result,
		  char *why, size_t why_size)
{
	const char command = COMMAND_TOUCH;

	return remote_touch_command(armer, &command, 1, timeout_ms, result, why, why_size);
}

bool remote_touch_at(struct remote_armer *armer, size_t offset, long timeout_ms,
		     struct touch_result *result, char *why, size_t why_size)
{
	char command[1 + sizeof(offset)] = { COMMAND_TOUCH_AT };

	memcpy(command + 1, &offset, sizeof(offset));
	return remote_touch_command(armer, command, sizeof(command), timeout_ms, result, why,
				    why_size);
}

void remote_release(struct remote_armer *armer)
{
	const char command = COMMAND_QUIT;

	if (armer->pid <= 0)
		return;
	write_full(armer->command_fd, &command, 1);
	reap(armer);
}
