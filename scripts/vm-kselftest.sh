#!/usr/bin/env bash
# Runs the kselftest of kernel/6.12/patches (uffd-collapse, built by
# scripts/kselftest-build.sh) in a QEMU guest of a built kernel variant
# (the job scripts/guest/kselftest.sh):
#
#   scripts/vm-kselftest.sh VARIANT OUTDIR
#
# The guest gets build/initramfs/kselftest.cpio.gz as an extra archive
# (BOOT_EXTRA_INITRD) and runs uffd-collapse with its TAP output on the
# results channel: OUTDIR/uffd-collapse.tap, its exit code in OUTDIR/job.rc,
# and its row for the tables in OUTDIR/row.json (scripts/kselftest-row.sh).
# Exit code: scripts/boot.sh's, or 6 when the guest sent no TAP plan.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[[ $# -eq 2 ]] || die "usage: $0 VARIANT OUTDIR" 2
variant=$1 outdir=$2
archive=$CG_BUILD/initramfs/kselftest.cpio.gz
[[ -f $archive ]] || die "$archive missing: run scripts/kselftest-build.sh" 2
mkdir -p "$outdir"
rm -f "$outdir/uffd-collapse.tap" "$outdir/row.json"

rc=0
BOOT_EXTRA_INITRD="${BOOT_EXTRA_INITRD:+$BOOT_EXTRA_INITRD }$archive" \
	BOOT_TIMEOUT=${BOOT_TIMEOUT:-600} \
	"$CG_ROOT/scripts/boot.sh" "$variant" "$outdir" kselftest || rc=$?
tr -d '\r' <"$outdir/channel.out" >"$outdir/uffd-collapse.tap"
if ! grep -qE '^1\.\.[0-9]+' "$outdir/uffd-collapse.tap"; then
	((rc != 0)) || {
		log "$variant: no TAP plan from uffd-collapse ($outdir/uffd-collapse.tap)"
		rc=6
	}
fi
"$CG_ROOT/scripts/kselftest-row.sh" "$outdir/uffd-collapse.tap" \
	"$(cat "$outdir/job.rc" 2>/dev/null || echo '')" >"$outdir/row.json"
exit "$rc"
