/* The stress: processes, their mappings and the threads that churn them. */
#ifndef STRESS_STRESS_H
#define STRESS_STRESS_H

#include "cli.h"
#include "util.h"

#include <stddef.h>

/* What one process of the stress shares between its threads. */
struct proc_ctx {
	const struct options *o;
	int proc;
	int memfd;
	unsigned long armed_pages, total_pages;
	size_t armed_len, total_len;
	int main_uffd;		/* EVENT_FORK | EVENT_REMAP, armed over the anchor */
	char *anchor;		/* the whole armed range, registered all the time */
	char *cmap;		/* the whole file, never touched: collapse target */
	char *wmap;		/* the unarmed range, for the writer (process 0) */
};

struct actor {
	struct proc_ctx *px;
	int id;
	struct rng rng;
};

void *reader_main(void *arg);
void *worker_main(void *arg);
void *collapser_main(void *arg);
void *puncher_main(void *arg);
void *writer_main(void *arg);
void *forker_main(void *arg);

/* Runs the stress; returns the exit code. */
int run_stress(const struct options *o);

#endif
