#!/bin/sh
# Guest job (scripts/vm-kselftest.sh): the kselftest of kernel/6.12/patches,
# uffd-collapse, from the extra archive build/initramfs/kselftest.cpio.gz
# (scripts/kselftest-build.sh), with its TAP on the results channel
# /dev/ttyS1.
#
#   BOOT_EXTRA_INITRD=build/initramfs/kselftest.cpio.gz scripts/boot.sh VARIANT OUTDIR kselftest
#
# The job's exit code is uffd-collapse's.
echo "kselftest job: kernel $(uname -r)"
uffd-collapse >/dev/ttyS1 2>&1
rc=$?
echo "kselftest job: uffd-collapse exited with $rc"
exit $rc
