#!/bin/sh
# Guest job (scripts/vm-pager.sh, with Debian's QEMU added as an extra
# archive by scripts/pager-initramfs.sh): collapse-pager, the post-copy
# migration of memfd RAM with a collapsing backend, inside the guest
# (nested TCG).
#
#   BOOT_EXTRA_INITRD=build/initramfs/qemu.cpio scripts/boot.sh VARIANT OUTDIR pager [COLLAPSE-PAGER-ARGS...]
#
# The arguments go to collapse-pager run, e.g. --runs 2. TAP goes to the
# console (OUTDIR/console.log), the JSON report to the results channel
# /dev/ttyS1 (OUTDIR/channel.out), collapse-pager's exit code to
# OUTDIR/job.rc: 0 every run passed, 1 a run failed (expected on vanilla
# 6.1), 2 a run could not be judged, 4 skipped.
PATH=/usr/local/bin:/usr/bin:$PATH
# The libraries of the QEMU archive sit at their Debian paths; there is no
# ld.so.cache in the guest.
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu

echo "pager job: kernel $(uname -r) $(uname -v)"
if ! qemu-system-x86_64 --version >/tmp/qemu-version 2>&1; then
	echo "pager job: qemu-system-x86_64 does not run:"
	cat /tmp/qemu-version
fi
echo "pager job: $(head -n 1 /tmp/qemu-version)"
thp=/sys/kernel/mm/transparent_hugepage
knobs="$thp/enabled $thp/shmem_enabled $thp/khugepaged/max_ptes_none
	$thp/khugepaged/pages_to_scan $thp/khugepaged/alloc_sleep_millisecs
	$thp/khugepaged/scan_sleep_millisecs"
echo "pager job: THP $(cat $thp/enabled), shmem $(cat $thp/shmem_enabled)"
# shellcheck disable=SC2086 # the list is split on purpose
before=$(cat $knobs)
collapse-pager run --tap --json-out /dev/ttyS1 "$@"
rc=$?
# shellcheck disable=SC2086
after=$(cat $knobs)
if [ "$before" = "$after" ]; then
	echo "pager job: THP knobs as before"
else
	echo "pager job: THP knobs CHANGED by the run"
fi
echo "pager job: collapse-pager exit $rc"
exit $rc
