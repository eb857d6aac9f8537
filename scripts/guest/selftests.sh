#!/bin/sh
# Guest job (scripts/vm-selftests.sh): the kernel's own mm selftests from
# the extra archive build/selftests/selftests.cpio
# (scripts/selftests-build.sh), one run after the other.
#
#   BOOT_EXTRA_INITRD=build/selftests/selftests.cpio scripts/boot.sh VARIANT OUTDIR selftests RUN...
#
# A RUN is "NAME|COMMAND" (NAME without spaces, COMMAND for sh -c). A run
# whose NAME begins with deny-control: runs with shmem_enabled at "deny"
# and pinned there (a bind mount puts a copy of the knob over it, so the
# test's own settings land in the copy). Each run's output goes to the
# console, a line "NAME<TAB>rc<TAB>seconds" to the results channel
# /dev/ttyS1. The job's exit code is 0.
echo "selftests job: kernel $(uname -r), selftests of linux-source $(cat /opt/selftests/source-version)"
PATH=/opt/selftests:$PATH
knob=/sys/kernel/mm/transparent_hugepage/shmem_enabled
uptime_cs() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}"; }
# run NAME COMMAND: its exit code and duration to the results channel.
run() {
	echo "selftests job: BEGIN $1: $2"
	t0=$(uptime_cs)
	sh -c "$2"
	rc=$?
	t1=$(uptime_cs)
	dt=$((t1 - t0))
	echo "selftests job: END $1 rc=$rc"
	printf '%s\t%s\t%d.%02d\n' "$1" "$rc" $((dt / 100)) $((dt % 100)) >/dev/ttyS1
}
for r in "$@"; do
	name=${r%%|*} cmd=${r#*|}
	case $name in
	deny-control:*)
		saved=$(sed -n 's/.*\[\(.*\)\].*/\1/p' $knob)
		echo deny >$knob
		cat $knob >/tmp/shmem_enabled.pinned
		mount -o bind /tmp/shmem_enabled.pinned $knob
		echo "selftests job: shmem_enabled pinned at: $(cat $knob)"
		run "$name" "$cmd"
		umount $knob
		echo "$saved" >$knob
		;;
	*) run "$name" "$cmd" ;;
	esac
done
exit 0
