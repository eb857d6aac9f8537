#!/bin/sh
# Guest job (scripts/boot.sh VARIANT OUTDIR src/stress/job-stress.sh): runs
# collapse-stress for 60 s (kernel parameter stress_seconds=N overrides it)
# with its JSON report on the results channel /dev/ttyS1, then, when the
# kernel has kmemleak, scans for leaks made during the job.
#
# Exit code: collapse-stress's (0 clean, 1 integrity violations, 2 error), or
# 3 when it was clean but kmemleak reported a leak made during the job. The
# kernel's own reports on the console (WARNING, KASAN, lockdep...) are judged
# by scripts/boot.sh.
seconds=60
for arg in $(cat /proc/cmdline); do
	case $arg in
	stress_seconds=*) seconds=${arg#stress_seconds=} ;;
	esac
done
grep -q " /sys/kernel/debug " /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# kmemleak: objects the boot left unreferenced (6.1 tinyconfig with ACPI has
# 8 from acpi_os_create_cache) are reported by a first scan and cleared, so
# that the scans at the end report only what leaked during the job.
leaks=/sys/kernel/debug/kmemleak
if [ -e $leaks ]; then
	# The first scan after boot reports nothing: scan twice. The console
	# is kept quiet meanwhile (the log still has it): the boot-time reports
	# are not this job's, and scripts/boot.sh reads the console.
	level=$(cut -f1 /proc/sys/kernel/printk)
	echo 1 >/proc/sys/kernel/printk
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	echo "$level" >/proc/sys/kernel/printk
	echo "job-stress: kmemleak baseline: $(grep -c '^unreferenced object' $leaks)" \
		"boot-time reports, cleared (not counted)"
	echo clear >$leaks
fi

echo "job-stress: kernel $(uname -r), ${seconds} s"
start=$(date +%s)
collapse-stress --seconds "$seconds" --json-out /dev/ttyS1
rc=$?
echo "job-stress: collapse-stress exit $rc after $(($(date +%s) - start)) s"
grep -E '^(Shmem|ShmemHugePages):' /proc/meminfo

if [ -e $leaks ]; then
	# An object is reported once it is older than 5 s and a scan found it
	# unreferenced: wait, scan twice. debugfs files have no size: read it.
	sleep 6
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	report=$(cat $leaks)
	if [ -n "$report" ]; then
		echo "job-stress: kmemleak: $(echo "$report" | grep -c '^unreferenced object')" \
			"new reports:"
		echo "$report" | head -n 80
		[ $rc -eq 0 ] && rc=3
	else
		echo "job-stress: kmemleak: no leak reported"
	fi
fi
exit $rc
