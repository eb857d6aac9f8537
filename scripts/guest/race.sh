#!/bin/sh
# Guest job: collapse-race on a kernel built with CONFIG_DEBUG_COLLAPSE_PARK
# (variants vanilla-debug, patched-debug).
#
#   scripts/boot.sh VARIANT OUTDIR race [COLLAPSE-RACE-ARGS...]
#
# The arguments are options or row names of collapse-race, e.g.
# --timeout 20 register-at-guarded. TAP goes to the console
# (OUTDIR/console.log), the JSON report to the results channel /dev/ttyS1
# (OUTDIR/channel.out), collapse-race's exit code to OUTDIR/job.rc: 0 no row
# failed, 1 a row failed (expected on vanilla-debug: that is the proof the
# rows can fail), 2 usage error.
if ! grep -q ' /sys/kernel/debug debugfs ' /proc/mounts; then
	mount -t debugfs debugfs /sys/kernel/debug || echo "race job: cannot mount debugfs"
fi
echo "race job: kernel $(uname -r) $(uname -v)"
echo "race job: collapse_park $(cat /sys/kernel/debug/collapse_park 2>&1)"
collapse-race --tap --json-out /dev/ttyS1 "$@"
rc=$?
echo "race job: collapse-race exit $rc"
exit $rc
