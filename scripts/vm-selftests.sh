#!/usr/bin/env bash
# Runs the kernel's own mm selftests (scripts/selftests-build.sh) in a QEMU
# guest of a built kernel variant, as a peer check of the series (the job
# scripts/guest/selftests.sh):
#
#   scripts/vm-selftests.sh [--deny-control] VARIANT OUTDIR
#
# Runs, one after the other: khugepaged all:shmem, userfaultfd shmem 16 8,
# userfaultfd anon 16 8. With --deny-control it first runs the negative
# control: khugepaged madvise:shmem while shmem_enabled is "deny" and pinned
# there (a bind mount puts a copy of the knob over it, so the test's own
# settings land in the copy), standing for a kernel that refuses shmem
# collapse; that run must fail. (khugepaged all:anon is left out: it needs
# swap. userfaultfd's :collapse modifier is left out: it needs a hugetlb
# page size, and the guest kernels have no HUGETLBFS.)
#
# Each run's output goes to the console; OUTDIR/results.txt gets a line per
# run: "NAME<TAB>rc<TAB>seconds". Exit code: scripts/boot.sh's, or 6 when the
# guest sent no result line for a run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

deny=0
if [[ ${1:-} == --deny-control ]]; then
	deny=1
	shift
fi
[[ $# -eq 2 ]] || die "usage: $0 [--deny-control] VARIANT OUTDIR" 2
variant=$1 outdir=$2
archive=$CG_BUILD/selftests/selftests.cpio
[[ -f $archive ]] || die "$archive missing: run scripts/selftests-build.sh" 2
mkdir -p "$outdir"
rm -f "$outdir/results.txt"

# The runs, "NAME|COMMAND" (the job's arguments); NAME has no spaces.
runs=()
((deny == 0)) || runs+=(
	"deny-control:khugepaged-madvise:shmem|khugepaged madvise:shmem"
	"limit-control:userfaultfd:shmem:16:8|ulimit -v 32768; exec userfaultfd shmem 16 8"
)
runs+=(
	"khugepaged:all:shmem|khugepaged all:shmem"
	"userfaultfd:shmem:16:8|userfaultfd shmem 16 8"
	"userfaultfd:anon:16:8|userfaultfd anon 16 8"
)

rc=0
BOOT_EXTRA_INITRD="${BOOT_EXTRA_INITRD:+$BOOT_EXTRA_INITRD }$archive" \
	"$CG_ROOT/scripts/boot.sh" "$variant" "$outdir" selftests "${runs[@]}" || rc=$?
tr -d '\r' <"$outdir/channel.out" >"$outdir/results.txt"
if ((rc == 0)); then
	for r in "${runs[@]}"; do
		name=${r%%|*}
		grep -q "^$name	" "$outdir/results.txt" || {
			log "$variant: no result for $name ($outdir/results.txt)"
			rc=6
		}
	done
fi
exit "$rc"
