/*
 * The backend: stands for a vhost-user backend process on the migration's
 * destination. It maps the destination QEMU's guest-RAM memfd shared (found
 * through /proc/PID/fd) and, while post-copy runs, asks for THP collapse of
 * that mapping both ways: MADV_HUGEPAGE twice (khugepaged, with its knobs
 * set fast for the run and restored after) and a loop of MADV_COLLAPSE over
 * every extent. It never reads or writes the memory itself.
 */
#ifndef PAGER_BACKEND_H
#define PAGER_BACKEND_H

#include <stdbool.h>
#include <sys/types.h>

enum collapse_mode { MODE_BOTH, MODE_MADV_COLLAPSE, MODE_KHUGEPAGED, MODE_NONE, N_MODES };

extern const char *const mode_names[N_MODES];
/* -1 when unknown. */
int mode_by_name(const char *name);

struct backend_opts {
	pid_t pid;		/* the QEMU process whose memfd is mapped */
	int fd;			/* its fd number, or -1: the largest memfd it has open */
	enum collapse_mode mode;
	long delay_ms;		/* wait before opening the memfd */
	long duration_ms;	/* stop after this long; 0: at SIGTERM/SIGINT/SIGHUP */
	long pause_ms;		/* between passes of the MADV_COLLAPSE loop */
	const char *json_out;	/* the report; NULL: stdout */
	bool census;		/* at the end, read each extent and count the huge ones */
};

/* Runs the backend; returns the exit status (0 ran, 2 usage/set-up error). */
int backend_main(const struct backend_opts *opts);

/* The khugepaged knobs the backend sets: cg_khugepaged_knobs (cg_thp_knobs.h). */

#endif
