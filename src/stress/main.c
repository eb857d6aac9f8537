/*
 * collapse-stress: bounded stress of shmem THP collapse against userfaultfd
 * MISSING registrations with data integrity checks, a fault-injection mode
 * and a park-free statistical check of what a pager sees (--pager-view).
 * See docs/stress.md.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "faultinj.h"
#include "pager_view.h"
#include "stress.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, &o);

	if (rc)
		return rc == 1 ? 0 : 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.pager_view)
		return run_pager_view(&o);
	return o.faultinj ? run_faultinj(&o) : run_stress(&o);
}
