/*
 * One post-copy migration, source and destination QEMU on this machine,
 * with the backend started on the destination's memfd once post-copy runs.
 */
#ifndef PAGER_MIGRATE_H
#define PAGER_MIGRATE_H

#include "cg_tap.h"
#include "backend.h"
#include "pattern.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct run_config {
	const char *qemu;		/* qemu-system-x86_64 binary */
	const char *self_exe;		/* this program, for the backend */
	const char *workdir;
	size_t ram;			/* guest RAM = memfd size, bytes */
	size_t pattern_offset;		/* where the pattern starts in guest RAM */
	long long bandwidth;		/* bytes/s of the migration stream, 0: unlimited */
	long timeout_ms;		/* bound of the whole migration */
	long start_timeout_ms;		/* bound of QEMU's start-up (QMP socket) */
	enum collapse_mode mode;
	long pause_ms;			/* backend's pause between passes */
	bool keep;			/* keep each run's folder */
	bool verbose;
};


struct run_result {
	int index;
	bool control;			/* no backend */
	long delay_ms;			/* backend start after post-copy began */
	enum cg_row_verdict verdict;
	char reason[1024];		/* why FAIL or ERROR */
	char src_status[32], dst_status[32];
	char error_desc[256];		/* query-migrate's error-desc, if any */
	long long migrate_ms;		/* migrate command to both sides completed */
	long long postcopy_at_ms;	/* destination seen postcopy-active, -1 never */
	long long backend_at_ms;	/* backend started, -1 never */
	long long total_ms;		/* the whole run, start-up and checks included */
	long long transferred, postcopy_bytes, postcopy_requests;
	bool compared;
	struct ram_diff vs_pattern, vs_source;
	char place_page[512];		/* first postcopy_place_page line of QEMU's stderr */
	char stderr_tail[1024];		/* destination QEMU's stderr, when not empty */
	char *backend_json;		/* the backend's report (malloc), NULL if none */
	char *after_json;		/* MADV_COLLAPSE once the migration completed */
	char backend_exit[64];
	char knobs[256];		/* a knob left changed after the run, or "" */
	char qemu_version[96];
};

/* Set by the caller's SIGINT/SIGTERM/SIGHUP handler: the run stops as ERROR. */
extern volatile sig_atomic_t migration_interrupted;

void run_migration(const struct run_config *cfg, struct run_result *r);

#endif
