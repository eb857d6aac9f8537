#!/usr/bin/env bash
# Runs collapse-pager (QEMU post-copy of memfd RAM with a collapsing backend,
# docs/real-pager.md) in a QEMU guest of a built kernel variant, with
# Debian's QEMU inside (nested TCG; the job scripts/guest/pager.sh):
#
#   scripts/vm-pager.sh VARIANT OUTDIR [COLLAPSE-PAGER-ARGS...]
#
# The variant needs the fragment kernel/config/pager.config (sockets, inotify,
# membarrier, rseq). The TAP goes to OUTDIR/console.log, the report to
# OUTDIR/result.json, collapse-pager's exit code to OUTDIR/job.rc.
# Exit code: scripts/boot.sh's (6 when the guest gave no valid JSON).
# OUTDIR/result.json is written whenever the guest sent a valid report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[[ $# -ge 2 ]] || die "usage: $0 VARIANT OUTDIR [COLLAPSE-PAGER-ARGS...]" 2
variant=$1 outdir=$2
shift 2
mkdir -p "$outdir"
rm -f "$outdir/result.json"
"$CG_ROOT/scripts/pager-initramfs.sh" >"$outdir/pager-initramfs.log" 2>&1 ||
	die "$(cat "$outdir/pager-initramfs.log")" 2

BOOT_EXTRA_INITRD="$CG_BUILD/initramfs/qemu.cpio" \
	exec "$CG_ROOT/scripts/boot.sh" --report collapse-pager "$variant" "$outdir" pager "$@"
