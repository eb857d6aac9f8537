#!/bin/sh
# Guest job (scripts/vm-check.sh): collapse-check with its TAP on the
# console and its JSON report on the results channel /dev/ttyS1.
#
#   scripts/boot.sh [--param check_timeout=SEC] VARIANT OUTDIR check [CHECKER-ARGS...]
#
# check_timeout (default 120) is the checker's --timeout, each wait's bound;
# the arguments go to collapse-check after it. The job's exit code is the
# checker's.
echo "check job: kernel $(uname -r)"
exec collapse-check --tap --json-out /dev/ttyS1 --timeout "${check_timeout:-120}" "$@"
