#!/bin/sh
# Guest job (scripts/boot.sh [--param smoke_note=TEXT] VARIANT OUTDIR smoke
# [ARG...]): what the checker depends on, for a quick look at a new kernel;
# on the results channel, the parameter and the arguments as the job got
# them ("note=TEXT", then "arg=ARG" a line each), which scripts/tests/boot.sh
# compares with what was sent.
uname -a
nproc
cat /sys/kernel/mm/transparent_hugepage/enabled
cat /sys/kernel/mm/transparent_hugepage/shmem_enabled
ls /sys/kernel/mm/transparent_hugepage/khugepaged
grep -i huge /proc/meminfo
ls -la /usr/local/bin
{
	printf 'note=%s\n' "${smoke_note-(unset)}"
	for a in "$@"; do
		printf 'arg=%s\n' "$a"
	done
} >/dev/ttyS1
