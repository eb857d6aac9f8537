# Guest job for scripts/boot.sh (busybox sh, as root, programs of
# build/bin-static in /usr/local/bin): runs collapse-race on a kernel built
# with CONFIG_DEBUG_COLLAPSE_PARK (variants vanilla-debug, patched-debug).
#
#   scripts/boot.sh VARIANT OUTDIR src/race/job.sh
#
# TAP goes to the console (OUTDIR/console.log), the JSON report to the
# results channel /dev/ttyS1 (OUTDIR/channel.out), collapse-race's exit code
# to OUTDIR/job.rc: 0 no row failed, 1 a row failed (expected on
# vanilla-debug: that is the proof the rows can fail), 2 usage error.
# RACE_ARGS (kernel command line "race_args=a,b" also works) adds options or
# row names, e.g. race_args=--timeout,20,register-at-guarded.
PATH=/usr/local/bin:$PATH

if ! grep -q ' /sys/kernel/debug debugfs ' /proc/mounts; then
	mount -t debugfs debugfs /sys/kernel/debug || echo "race job: cannot mount debugfs"
fi
extra=$(sed -n 's/.*race_args=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
echo "race job: kernel $(uname -r) $(uname -v)"
echo "race job: collapse_park $(cat /sys/kernel/debug/collapse_park 2>&1)"
# shellcheck disable=SC2086 # word splitting of the extra arguments is wanted
collapse-race --tap --json-out /dev/ttyS1 ${RACE_ARGS:-} $extra
rc=$?
echo "race job: collapse-race exit $rc"
exit $rc
