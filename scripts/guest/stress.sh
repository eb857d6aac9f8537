#!/bin/sh
# Guest job: collapse-stress with its JSON report on the results channel
# /dev/ttyS1, then, when the kernel has kmemleak, a scan for leaks made
# during the job.
#
#   scripts/boot.sh [--param NAME=VALUE]... VARIANT OUTDIR stress
#
# Its parameters choose the run:
#   stress_mode=stress (default)  stress_seconds=N (60)
#   stress_mode=faultinj          fault injection aimed at the collapse and
#                                 registration paths, then the final checks:
#                                 fi_seconds=N (20), fi_max_nth=N (3000),
#                                 fi_only=KIND
#   stress_mode=pager-view        the park-free statistical check of what a
#                                 pager sees of a collapse racing its
#                                 registration (kselftest TAP on the
#                                 console): pv_seconds=N (30), pv_rounds=N
#                                 (0: as many as pv_seconds allows)
#
# Exit code: collapse-stress's (0 clean, 1 integrity violations, a failed
# check or a pager-view counter above 0, 2 set-up error, e.g. no fault
# injection in this kernel), or 3 when it was clean but kmemleak reported a
# leak made during the job. The kernel's own reports on the console
# (WARNING, KASAN, lockdep...) are judged by scripts/boot.sh.
mode=${stress_mode:-stress}
seconds=${stress_seconds:-60}
fi_seconds=${fi_seconds:-20}
fi_max_nth=${fi_max_nth:-3000}
pv_seconds=${pv_seconds:-30}
pv_rounds=${pv_rounds:-0}
tag="job-$mode"
grep -q " /sys/kernel/debug " /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# kmemleak: objects the boot left unreferenced (6.1 tinyconfig with ACPI has
# a few from acpi_os_create_cache) are reported by a first scan and cleared,
# so that the scans at the end report only what leaked during the job.
leaks=/sys/kernel/debug/kmemleak
if [ -e $leaks ]; then
	# kmemleak's "new suspected" lines must not reach the console, where
	# scripts/boot.sh takes them for reports: this job judges them itself.
	# Info messages stay off the console (warnings still get through).
	echo 6 >/proc/sys/kernel/printk
	# The first scan after boot reports nothing: scan twice.
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	echo "$tag: kmemleak baseline: $(grep -c '^unreferenced object' $leaks)" \
		"boot-time reports, cleared (not counted)"
	echo clear >$leaks
fi

echo "$tag: kernel $(uname -r)"
start=$(date +%s)
case $mode in
stress)
	collapse-stress --seconds "$seconds" --json-out /dev/ttyS1
	;;
faultinj)
	collapse-stress --faultinj --fi-seconds "$fi_seconds" \
		--fi-max-nth "$fi_max_nth" ${fi_only:+--fi-only "$fi_only"} \
		--json-out /dev/ttyS1
	;;
pager-view)
	collapse-stress --pager-view --tap --seconds "$pv_seconds" \
		--rounds "$pv_rounds" --json-out /dev/ttyS1
	;;
*)
	echo "$tag: unknown stress_mode"
	exit 2
	;;
esac
rc=$?
echo "$tag: collapse-stress exit $rc after $(($(date +%s) - start)) s"
grep -E '^(Shmem|ShmemHugePages):' /proc/meminfo

if [ -e $leaks ]; then
	# An object is reported once it is older than 5 s and a scan found it
	# unreferenced: wait, scan twice. debugfs files have no size: read it.
	sleep 6
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	# Objects the boot thread allocated before any job ran (ACPI caches)
	# can first be reported now: they are not the job's.
	report=$(cat $leaks)
	all=$(echo "$report" | grep -c '^unreferenced object')
	boot=$(echo "$report" | grep -c 'comm "swapper/0", pid 0,')
	if [ $((all - boot)) -gt 0 ]; then
		echo "$tag: kmemleak: $((all - boot)) new reports ($boot from boot):"
		echo "$report" | head -n 80
		[ $rc -eq 0 ] && rc=3
	else
		echo "$tag: kmemleak: no leak made during the job ($boot from boot)"
	fi
fi
exit $rc
