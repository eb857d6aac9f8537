/*
 * collapse-stress: bounded stress of shmem THP collapse against userfaultfd
 * MISSING registrations with data integrity checks, and a fault-injection
 * mode. See docs/stress.md.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "faultinj.h"
#include "stress.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, &o);

	if (rc)
		return rc == 1 ? 0 : 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return o.faultinj ? run_faultinj(&o) : run_stress(&o);
}
