#!/bin/sh
# Guest job (scripts/boot.sh VARIANT OUTDIR src/stress/job-faultinj.sh): runs
# collapse-stress --faultinj (kernel fault injection aimed at the collapse
# and registration paths, then the final checks), its JSON report to the
# results channel /dev/ttyS1, then a kmemleak scan when the kernel has it.
# Kernel parameters fi_seconds=N and fi_max_nth=N override the defaults.
#
# Exit code: collapse-stress's (0 every check passed, 1 a check failed,
# 2 set-up error: no fault injection in this kernel), or 3 when it passed
# but kmemleak reported a leak.
fi_seconds=20
fi_max_nth=3000
for arg in $(cat /proc/cmdline); do
	case $arg in
	fi_seconds=*) fi_seconds=${arg#fi_seconds=} ;;
	fi_max_nth=*) fi_max_nth=${arg#fi_max_nth=} ;;
	esac
done
grep -q " /sys/kernel/debug " /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

echo "job-faultinj: kernel $(uname -r)"
start=$(date +%s)
collapse-stress --faultinj --fi-seconds "$fi_seconds" --fi-max-nth "$fi_max_nth" \
	--json-out /dev/ttyS1
rc=$?
echo "job-faultinj: collapse-stress exit $rc after $(($(date +%s) - start)) s"

leaks=/sys/kernel/debug/kmemleak
if [ -e $leaks ]; then
	sleep 6
	echo scan >$leaks
	sleep 1
	echo scan >$leaks
	if [ -s $leaks ]; then
		echo "job-faultinj: kmemleak reports:"
		head -n 60 $leaks
		[ $rc -eq 0 ] && rc=3
	else
		echo "job-faultinj: kmemleak: no leak reported"
	fi
fi
exit $rc
