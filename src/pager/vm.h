/*
 * QEMU processes of a run and their QMP monitors (unix sockets), plus the
 * plain child-process helpers the backend uses too.
 */
#ifndef PAGER_VM_H
#define PAGER_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct child {
	pid_t pid;		/* 0 when none */
	bool reaped;
	int wstatus;
};

/*
 * Forks and execs argv with stdin from /dev/null and stdout, stderr to
 * out_path. The child gets parent_death_signal when this process dies.
 * 0, or -1 with why filled.
 */
int child_spawn(struct child *c, char *const argv[], const char *out_path,
		int parent_death_signal, char *why, size_t why_size);
/* Reaps the child if it has exited; true while it runs. */
bool child_alive(struct child *c);
/* Waits up to timeout_ms for the child to exit; true if it did. */
bool child_wait(struct child *c, long timeout_ms);
/* Sends sig and waits up to timeout_ms, then SIGKILL and waits. */
void child_end(struct child *c, int sig, long timeout_ms);
/* "exit 1", "signal 9 (SIGKILL)", "running". */
void child_status_text(const struct child *c, char *buf, size_t size);

struct vm {
	const char *role;	/* "source", "destination" */
	struct child proc;
	int qmp;		/* -1 when not connected */
	char qmp_path[256];
	char err_path[256];
	char version[96];	/* from the QMP greeting: "7.2.22 (Debian ...)" */
	size_t rlen;
	char rbuf[1 << 15];
};

void vm_init(struct vm *vm, const char *role);
/* Connects to vm->qmp_path (retrying while QEMU starts), negotiates capabilities. */
int vm_qmp_connect(struct vm *vm, long timeout_ms, char *why, size_t why_size);
/*
 * Sends one command (a JSON object, no newline) and waits for its reply,
 * skipping events. 0: "return" (the line in reply); 1: "error" (its desc in
 * why); -1: I/O error, QEMU gone or timeout (why says which; the monitor is
 * closed then, since a late reply would be taken for the next one's).
 */
int vm_qmp(struct vm *vm, const char *command, char *reply, size_t reply_size,
	   long timeout_ms, char *why, size_t why_size);
/* quit over QMP, then SIGTERM, then SIGKILL; reaps. */
void vm_stop(struct vm *vm);

#endif
