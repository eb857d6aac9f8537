#!/usr/bin/env bash
# Runs collapse-check in a QEMU guest of a built kernel variant:
#
#   scripts/vm-check.sh VARIANT OUTDIR [CHECKER-ARGS...]
#
# The checker runs with --tap (to the console log) and --json-out /dev/ttyS1;
# its report is saved as OUTDIR/result.json and its exit code in
# OUTDIR/job.rc. CHECK_TIMEOUT (seconds, default 120) is passed as --timeout.
# Exit code: scripts/boot.sh's, or 6 when the guest gave no valid JSON.
# OUTDIR/result.json is written whenever the guest sent a valid report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[[ $# -ge 2 ]] || die "usage: $0 VARIANT OUTDIR [CHECKER-ARGS...]" 2
variant=$1 outdir=$2
shift 2
mkdir -p "$outdir"
rm -f "$outdir/result.json"

args=(--tap --json-out /dev/ttyS1 --timeout "${CHECK_TIMEOUT:-120}" "$@")
{
	echo "# Guest job written by scripts/vm-check.sh"
	echo "echo \"vm-check: $variant: kernel \$(uname -r)\""
	printf 'exec collapse-check'
	printf ' %q' "${args[@]}"
	echo
} >"$outdir/job.sh"

rc=0
"$CG_ROOT/scripts/boot.sh" "$variant" "$outdir" "$outdir/job.sh" || rc=$?
# The report is kept even from a run with trouble: it tells what was reached.
if jq -e '.tool == "collapse-check"' "$outdir/channel.out" >/dev/null 2>&1; then
	jq . "$outdir/channel.out" >"$outdir/result.json"
elif ((rc == 0)); then
	log "$variant: no valid collapse-check JSON on the channel ($outdir/channel.out)"
	rc=6
fi
exit "$rc"
