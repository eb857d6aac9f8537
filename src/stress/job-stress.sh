#!/bin/sh
# Guest job (scripts/boot.sh VARIANT OUTDIR src/stress/job-stress.sh): runs
# collapse-stress for STRESS_SECONDS (default 60; kernel parameter
# stress_seconds=N overrides it), its JSON report to the results channel
# /dev/ttyS1, then a kmemleak scan when the kernel has kmemleak.
#
# Exit code: collapse-stress's (0 clean, 1 integrity violations, 2 error),
# or 3 when it was clean but kmemleak reported a leak. The console gets the
# text report; the kernel's own reports (WARNING, KASAN, lockdep, kmemleak)
# are judged by scripts/boot.sh.
seconds=60
for arg in $(cat /proc/cmdline); do
	case $arg in
	stress_seconds=*) seconds=${arg#stress_seconds=} ;;
	esac
done
grep -q " /sys/kernel/debug " /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

echo "job-stress: kernel $(uname -r), ${seconds} s"
start=$(date +%s)
collapse-stress --seconds "$seconds" --json-out /dev/ttyS1
rc=$?
echo "job-stress: collapse-stress exit $rc after $(($(date +%s) - start)) s"
grep -E '^(Shmem|ShmemHugePages):' /proc/meminfo

leaks=/sys/kernel/debug/kmemleak
if [ -e $leaks ]; then
	# An object is only reported once it is older than 5 s and was seen
	# unreferenced by a scan: scan twice.
	sleep 6
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	if [ -s $leaks ]; then
		echo "job-stress: kmemleak reports:"
		head -n 60 $leaks
		[ $rc -eq 0 ] && rc=3
	else
		echo "job-stress: kmemleak: no leak reported"
	fi
fi
exit $rc
