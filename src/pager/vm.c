#define _GNU_SOURCE
#include "vm.h"
#include "cg_json.h"
#include "cg_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int child_spawn(struct child *c, char *const argv[], const char *out_path,
		int parent_death_signal, char *why, size_t why_size)
{
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t parent = getpid(), pid;

	memset(c, 0, sizeof(*c));
	if (out < 0 || in < 0) {
		format_into(why, why_size, "cannot open %s: %s", out < 0 ? out_path : "/dev/null",
			    errno_name(errno));
		goto fail;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		format_into(why, why_size, "fork: %s", errno_name(errno));
		goto fail;
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, parent_death_signal) || getppid() != parent)
			_exit(127);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in);
	close(out);
	c->pid = pid;
	return 0;
fail:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return -1;
}

bool child_alive(struct child *c)
{
	pid_t got;

	if (!c->pid || c->reaped)
		return false;
	got = waitpid(c->pid, &c->wstatus, WNOHANG);
	if (got == c->pid)
		c->reaped = true;
	return !c->reaped;
}

bool child_wait(struct child *c, long timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	while (child_alive(c)) {
		if (now_ms() >= deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

void child_end(struct child *c, int sig, long timeout_ms)
{
	if (!child_alive(c))
		return;
	kill(c->pid, sig);
	if (child_wait(c, timeout_ms))
		return;
	kill(c->pid, SIGKILL);
	child_wait(c, 10000);
}

void child_status_text(const struct child *c, char *buf, size_t size)
{
	if (!c->pid)
		format_into(buf, size, "not started");
	else if (!c->reaped)
		format_into(buf, size, "running");
	else if (WIFEXITED(c->wstatus))
		format_into(buf, size, "exit %d", WEXITSTATUS(c->wstatus));
	else if (WIFSIGNALED(c->wstatus))
		format_into(buf, size, "signal %d (%s)", WTERMSIG(c->wstatus),
			    sigabbrev_np(WTERMSIG(c->wstatus)) ?: "?");
	else
		format_into(buf, size, "status 0x%x", c->wstatus);
}

void vm_init(struct vm *vm, const char *role)
{
	memset(vm, 0, sizeof(*vm));
	vm->role = role;
	vm->qmp = -1;
}

static void qmp_close(struct vm *vm)
{
	if (vm->qmp >= 0)
		close(vm->qmp);
	vm->qmp = -1;
	vm->rlen = 0;
}

/*
 * Reads one line (without its "\r\n") into line; 0, or -1 with why.
 */
static int read_line(struct vm *vm, char *line, size_t size, long long deadline,
		     char *why, size_t why_size)
{
	for (;;) {
		char *nl = memchr(vm->rbuf, '\n', vm->rlen);
		struct pollfd pfd = { .fd = vm->qmp, .events = POLLIN };
		long long left;
		ssize_t got;
		int ready;

		if (nl) {
			size_t len = (size_t)(nl - vm->rbuf), keep = len;

			if (keep && vm->rbuf[keep - 1] == '\r')
				keep--;
			if (keep >= size)
				keep = size - 1;
			memcpy(line, vm->rbuf, keep);
			line[keep] = '\0';
			memmove(vm->rbuf, nl + 1, vm->rlen - len - 1);
			vm->rlen -= len + 1;
			return 0;
		}
		if (vm->rlen == sizeof(vm->rbuf)) {
			format_into(why, why_size, "%s QMP: line longer than %zu bytes", vm->role,
				    sizeof(vm->rbuf));
			return -1;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			format_into(why, why_size, "%s QMP: no reply in time", vm->role);
			return -1;
		}
		ready = poll(&pfd, 1, (int)(left > 200 ? 200 : left));
		if (ready < 0 && errno != EINTR) {
			format_into(why, why_size, "%s QMP: poll: %s", vm->role, errno_name(errno));
			return -1;
		}
		if (ready <= 0) {
			if (!child_alive(&vm->proc)) {
				format_into(why, why_size, "%s QEMU exited", vm->role);
				return -1;
			}
			continue;
		}
		got = read(vm->qmp, vm->rbuf + vm->rlen, sizeof(vm->rbuf) - vm->rlen);
		if (got <= 0) {
			if (got < 0 && errno == EINTR)
				continue;
			format_into(why, why_size, "%s QMP: %s", vm->role,
				    got ? errno_name(errno) : "connection closed");
			return -1;
		}
		vm->rlen += (size_t)got;
	}
}

static int send_all(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len) {
		ssize_t put = send(fd, text, len, MSG_NOSIGNAL);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return -1;
		text += put;
		len -= (size_t)put;
	}
	return 0;
}

int vm_qmp(struct vm *vm, const char *command, char *reply, size_t reply_size,
	   long timeout_ms, char *why, size_t why_size)
{
	long long deadline = now_ms() + timeout_ms;
	char line[8192];

	if (vm->qmp < 0) {
		format_into(why, why_size, "%s QMP not connected", vm->role);
		return -1;
	}
	if (send_all(vm->qmp, command) || send_all(vm->qmp, "\n")) {
		format_into(why, why_size, "%s QMP: send: %s", vm->role, errno_name(errno));
		qmp_close(vm);
		return -1;
	}
	for (;;) {
		if (read_line(vm, line, sizeof(line), deadline, why, why_size)) {
			qmp_close(vm);
			return -1;
		}
		if (!strncmp(line, "{\"return\"", 9)) {
			if (reply)
				format_into(reply, reply_size, "%s", line);
			return 0;
		}
		if (!strncmp(line, "{\"error\"", 8)) {
			char desc[512];

			if (cg_json_get_string(line, "desc", desc, sizeof(desc)))
				format_into(desc, sizeof(desc), "%s", line);
			format_into(why, why_size, "%s: %s", vm->role, desc);
			if (reply)
				format_into(reply, reply_size, "%s", line);
			return 1;
		}
		/* an event: {"timestamp": ..., "event": ...} */
	}
}

int vm_qmp_connect(struct vm *vm, long timeout_ms, char *why, size_t why_size)
{
	long long deadline = now_ms() + timeout_ms;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[8192];

	if (strlen(vm->qmp_path) >= sizeof(addr.sun_path)) {
		format_into(why, why_size, "socket path too long: %s", vm->qmp_path);
		return -1;
	}
	strcpy(addr.sun_path, vm->qmp_path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			format_into(why, why_size, "socket: %s", errno_name(errno));
			return -1;
		}
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
			vm->qmp = fd;
			break;
		}
		close(fd);
		if (!child_alive(&vm->proc)) {
			format_into(why, why_size, "%s QEMU exited before its QMP socket opened",
				    vm->role);
			return -1;
		}
		if (now_ms() >= deadline) {
			format_into(why, why_size, "%s QMP socket %s did not open in %ld s",
				    vm->role, vm->qmp_path, timeout_ms / 1000);
			return -1;
		}
		sleep_ms(20);
	}
	/* The greeting, {"QMP": {...}}, then capabilities negotiation. */
	if (read_line(vm, line, sizeof(line), deadline, why, why_size)) {
		qmp_close(vm);
		return -1;
	}
	if (strncmp(line, "{\"QMP\"", 6)) {
		format_into(why, why_size, "%s QMP: unexpected greeting %.80s", vm->role, line);
		qmp_close(vm);
		return -1;
	}
	{
		long long major = 0, minor = 0, micro = 0;
		char package[64] = "";

		cg_json_get_number(line, "major", &major);
		cg_json_get_number(line, "minor", &minor);
		cg_json_get_number(line, "micro", &micro);
		cg_json_get_string(line, "package", package, sizeof(package));
		format_into(vm->version, sizeof(vm->version), "%lld.%lld.%lld%s%s%s", major,
			    minor, micro, package[0] ? " (" : "", package, package[0] ? ")" : "");
	}
	return vm_qmp(vm, "{\"execute\": \"qmp_capabilities\"}", NULL, 0,
		      deadline - now_ms(), why, why_size) ? -1 : 0;
}

void vm_stop(struct vm *vm)
{
	char why[128];

	if (vm->qmp >= 0 && child_alive(&vm->proc)) {
		vm_qmp(vm, "{\"execute\": \"quit\"}", NULL, 0, 2000, why, sizeof(why));
		child_wait(&vm->proc, 3000);
	}
	qmp_close(vm);
	child_end(&vm->proc, SIGTERM, 3000);
}
