#!/usr/bin/env bash
# Runs collapse-check in a QEMU guest of a built kernel variant (the job
# scripts/guest/check.sh):
#
#   scripts/vm-check.sh VARIANT OUTDIR [CHECKER-ARGS...]
#
# The checker runs with --tap (to the console log) and --json-out /dev/ttyS1;
# its report is saved as OUTDIR/result.json and its exit code in
# OUTDIR/job.rc. CHECK_TIMEOUT (seconds, default 120) is passed as --timeout.
# Exit code: scripts/boot.sh's (6 when the guest gave no valid JSON).
# OUTDIR/result.json is written whenever the guest sent a valid report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[[ $# -ge 2 ]] || die "usage: $0 VARIANT OUTDIR [CHECKER-ARGS...]" 2
variant=$1 outdir=$2
shift 2
exec "$CG_ROOT/scripts/boot.sh" --param "check_timeout=${CHECK_TIMEOUT:-120}" \
	--report collapse-check "$variant" "$outdir" check "$@"
