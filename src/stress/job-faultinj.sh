#!/bin/sh
# Guest job (scripts/boot.sh VARIANT OUTDIR src/stress/job-faultinj.sh): runs
# collapse-stress --faultinj (kernel fault injection aimed at the collapse
# and registration paths, then the final checks; kernel parameters
# fi_seconds=N, fi_max_nth=N and fi_only=KIND override the defaults) with its JSON report
# on the results channel /dev/ttyS1, then, when the kernel has kmemleak,
# scans for leaks made during the job.
#
# Exit code: collapse-stress's (0 every check passed, 1 a check failed, 2
# set-up error, e.g. no fault injection in this kernel), or
# 3 when it was clean but kmemleak reported a leak made during the job. The
# kernel's own reports on the console (WARNING, KASAN, lockdep...) are judged
# by scripts/boot.sh.
fi_seconds=20
fi_max_nth=3000
fi_only=
for arg in $(cat /proc/cmdline); do
	case $arg in
	fi_seconds=*) fi_seconds=${arg#fi_seconds=} ;;
	fi_max_nth=*) fi_max_nth=${arg#fi_max_nth=} ;;
	fi_only=*) fi_only="--fi-only ${arg#fi_only=}" ;;
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
	echo "job-faultinj: kmemleak baseline: $(grep -c '^unreferenced object' $leaks)" \
		"boot-time reports, cleared (not counted)"
	echo clear >$leaks
fi

echo "job-faultinj: kernel $(uname -r)"
start=$(date +%s)
# shellcheck disable=SC2086
collapse-stress --faultinj --fi-seconds "$fi_seconds" --fi-max-nth "$fi_max_nth" \
	$fi_only --json-out /dev/ttyS1
rc=$?
echo "job-faultinj: collapse-stress exit $rc after $(($(date +%s) - start)) s"

if [ -e $leaks ]; then
	# An object is reported once it is older than 5 s and a scan found it
	# unreferenced: wait, scan twice. debugfs files have no size: read it.
	sleep 6
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	report=$(cat $leaks)
	if [ -n "$report" ]; then
		echo "job-faultinj: kmemleak: $(echo "$report" | grep -c '^unreferenced object')" \
			"new reports:"
		echo "$report" | head -n 80
		[ $rc -eq 0 ] && rc=3
	else
		echo "job-faultinj: kmemleak: no leak reported"
	fi
fi
exit $rc
