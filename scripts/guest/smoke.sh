#!/bin/sh
# Guest job (scripts/boot.sh VARIANT OUTDIR smoke): what the checker depends
# on, for a quick look at a new kernel.
uname -a
nproc
cat /sys/kernel/mm/transparent_hugepage/enabled
cat /sys/kernel/mm/transparent_hugepage/shmem_enabled
ls /sys/kernel/mm/transparent_hugepage/khugepaged
grep -i huge /proc/meminfo
ls -la /usr/local/bin
echo '{"smoke":true}' >/dev/ttyS1
