/*
 * Clean-ups that must run however the process ends: at exit() and on every
 * catchable signal whose default action ends the process. A clean-up uses
 * only async-signal-safe calls and may run twice (it must be idempotent).
 *
 * The handler blocks every signal while the clean-ups run, so a second
 * signal (a double Ctrl-C) waits until they are done and then ends the
 * process; if it lands on another thread, that thread waits for the first.
 * After the clean-ups the process dies of the signal it received, as it
 * would have without the guard.
 */
#ifndef CG_EXIT_GUARD_H
#define CG_EXIT_GUARD_H

typedef void (*cg_cleanup_fn)(void);

/* Bits of keep_mask: signals the program handles itself (its handler stays). */
#define CG_GUARD_KEEP_TERM 1	/* SIGHUP, SIGINT, SIGTERM, SIGQUIT */
#define CG_GUARD_KEEP_PIPE 2	/* SIGPIPE */

/*
 * Installs the handlers (once per process; the first keep_mask wins) and an
 * atexit() hook. The calling process becomes the owner: a child forked
 * later runs no clean-up, it only dies of the signal.
 */
void cg_exit_guard_install(int keep_mask);

/* Adds a clean-up (at most 8); clean-ups run last added first. */
void cg_exit_guard_add(cg_cleanup_fn cleanup);
void cg_exit_guard_remove(cg_cleanup_fn cleanup);

/*
 * Runs the clean-ups now (once per process, in the owner only), for a
 * program's own handler that then ends the process with _exit();
 * async-signal-safe.
 */
void cg_exit_guard_run(void);

/* Default handlers back, no clean-ups: for a freshly forked child. */
void cg_exit_guard_forget(void);

#endif
