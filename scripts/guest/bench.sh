#!/bin/sh
# Guest job (scripts/bench.sh): collapse-bench with its JSON report on the
# results channel /dev/ttyS1.
#
#   scripts/boot.sh VARIANT OUTDIR bench [COLLAPSE-BENCH-ARGS...]
#
# The job's exit code is collapse-bench's.
echo "bench job: kernel $(uname -r)"
exec collapse-bench "$@" --json-out /dev/ttyS1
