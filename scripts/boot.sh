#!/usr/bin/env bash
# The one way to run a guest job: boots a built kernel variant under QEMU
# (TCG) with a job, collects what it left and checks the run:
#
#   scripts/boot.sh [--param NAME=VALUE]... [--report TOOL] VARIANT OUTDIR JOB [ARG...]
#
# JOB is the name of a job of scripts/guest/ (check, race, stress, pager,
# kselftest, selftests, bench, smoke: scripts/guest/JOB.sh) or the path of a
# script, for an experiment. It runs in the guest as /job.sh (busybox sh, as
# root) with /usr/local/bin holding the programs of build/bin-static. Its
# parameters travel one way: the file /job.params, written here into the
# job's archive, which the guest's init (scripts/guest/init) loads before
# running the job: each --param NAME=VALUE becomes the environment variable
# NAME, the ARGs the job's arguments. The job's output goes to the console;
# what it writes to /dev/ttyS1 lands in OUTDIR/channel.out.
# OUTDIR also gets console.log (serial 0), qemu.log, job.rc (the job's exit
# code), job.sh and job.params (what ran). With --report TOOL the channel
# holds TOOL's JSON report (its "tool" field), kept as OUTDIR/result.json
# whenever it is valid, even from a boot with trouble (it tells what was
# reached).
#
# Environment (QEMU's, not the job's): BOOT_TIMEOUT (seconds, default 900),
# QEMU_MEM (default 2G), QEMU_SMP (default 2), QEMU_ICOUNT (e.g. 0: -icount
# shift=N, deterministic timing, single-threaded TCG), KERNEL_APPEND (extra
# kernel parameters), BOOT_EXTRA_INITRD (space-separated cpio archives,
# compressed or not, put between the base archive and the job's, e.g.
# build/initramfs/qemu.cpio).
#
# Exit codes: 0 the job ran to its end and the kernel log is clean (whatever
# the job's own exit code, see OUTDIR/job.rc); 2 usage or missing inputs;
# 3 timeout; 4 the kernel reported trouble (panic, BUG, WARNING, lockdep...);
# 5 the job did not finish (no sentinel: guest died or QEMU failed); 6 with
# --report, the boot went well but TOOL sent no valid report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage="usage: $0 [--param NAME=VALUE]... [--report TOOL] VARIANT OUTDIR JOB [ARG...]"
params=() report_tool=
while [[ ${1:-} == --param || ${1:-} == --report ]]; do
	[[ $# -ge 2 ]] || die "$usage" 2
	if [[ $1 == --report ]]; then
		report_tool=$2
	else
		[[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] ||
			die "--param '$2': want NAME=VALUE, NAME a shell variable name" 2
		params+=("$2")
	fi
	shift 2
done
[[ $# -ge 3 ]] || die "$usage" 2
variant=$1 outdir=$2 job=$3
shift 3
# No report of an earlier run stays behind, whatever happens next.
rm -f "$outdir/result.json"
[[ $job == */* ]] || job=$CG_ROOT/scripts/guest/$job.sh
kernel=$CG_BUILD/kernels/$variant/bzImage
base=$CG_BUILD/initramfs/base.cpio.gz
[[ -f $kernel ]] || die "$kernel missing: run scripts/kernel-build.sh $variant" 2
[[ -f $base ]] || die "$base missing: run scripts/initramfs.sh" 2
if [[ ! -f $job ]]; then
	jobs=("$CG_ROOT"/scripts/guest/*.sh)
	jobs=("${jobs[@]##*/}")
	die "job $job missing (the jobs of scripts/guest: ${jobs[*]%.sh})" 2
fi
read -ra extra_initrd <<<"${BOOT_EXTRA_INITRD:-}"
for f in "${extra_initrd[@]}"; do
	[[ -f $f ]] || die "extra initramfs archive $f missing" 2
done
timeout_s=${BOOT_TIMEOUT:-900}

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
# (Copied first: the job may be an earlier run's OUTDIR/job.sh.)
install -m 0755 "$job" "$outdir/job.sh.new"
rm -f "$outdir"/{console.log,channel.out,qemu.log,job.rc,initrd.img,job.sh,job.params}
mv "$outdir/job.sh.new" "$outdir/job.sh"

# sh_quote WORD: WORD in single quotes, for busybox sh.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# The job and its parameters travel as a last cpio archive after the base
# one (and the extra ones).
{
	echo "# The parameters of $(basename "$job") (scripts/boot.sh), loaded by /init"
	for p in "${params[@]}"; do
		echo "export ${p%%=*}=$(sh_quote "${p#*=}")"
	done
	printf 'set --'
	for a in "$@"; do
		printf ' %s' "$(sh_quote "$a")"
	done
	echo
} >"$outdir/job.params"
(cd "$outdir" && printf '%s\n' job.sh job.params |
	cpio --create --format=newc --owner=0:0 --quiet) |
	gzip -n >"$outdir/job.cpio.gz"
cp "$base" "$outdir/initrd.img"
for f in "${extra_initrd[@]}"; do
	# The kernel finds an uncompressed archive only at a multiple of 4 bytes.
	size=$(stat -c %s "$outdir/initrd.img")
	head -c $(((4 - size % 4) % 4)) /dev/zero >>"$outdir/initrd.img"
	cat "$f" >>"$outdir/initrd.img"
done
cat "$outdir/job.cpio.gz" >>"$outdir/initrd.img"

qemu=(
	qemu-system-x86_64 -accel tcg -m "${QEMU_MEM:-2G}" -smp "${QEMU_SMP:-2}"
	-nodefaults -nographic -no-reboot -monitor none
	-kernel "$kernel" -initrd "$outdir/initrd.img"
	-append "console=ttyS0 panic=-1 no_timer_check ${KERNEL_APPEND:-}"
	-serial "file:$outdir/console.log" -serial "file:$outdir/channel.out"
)
[[ -z ${QEMU_ICOUNT:-} ]] || qemu+=(-icount "shift=$QEMU_ICOUNT")

log "$variant: booting (timeout ${timeout_s}s, output in $outdir)"
start=$(now)
qrc=0
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$outdir/qemu.log" 2>&1 || qrc=$?
elapsed=$(($(now) - start))
touch "$outdir/console.log" "$outdir/channel.out"

problems=$("$CG_ROOT/scripts/scan-console.sh" "$outdir/console.log" | head -n 40 || true)
sentinel=$(grep -aoE 'JOB-DONE rc=[0-9]+' "$outdir/console.log" | tail -n 1 || true)

# finish CODE: exits with CODE, the report kept first (--report).
finish() {
	local rc=$1
	if [[ -n $report_tool ]]; then
		# (jq -e succeeds on an empty file.)
		if [[ -s $outdir/channel.out ]] &&
			jq -e --arg t "$report_tool" '.tool == $t' "$outdir/channel.out" >/dev/null 2>&1; then
			jq . "$outdir/channel.out" >"$outdir/result.json"
		elif ((rc == 0)); then
			log "$variant: no valid $report_tool JSON on the channel ($outdir/channel.out)"
			rc=6
		fi
	fi
	exit "$rc"
}
report() {
	log "$variant: $1 after ${elapsed}s (console: $outdir/console.log)"
	[[ -z $problems ]] || sed 's/^/  | /' <<<"$problems" >&2
	finish "$2"
}
if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
	report "TIMEOUT: the guest did not finish within ${timeout_s}s" 3
fi
if [[ -n $problems ]]; then
	report "KERNEL TROUBLE: the console log has these reports" 4
fi
if [[ -z $sentinel ]]; then
	problems=$(tail -n 20 "$outdir/console.log"; sed 's/^/qemu: /' "$outdir/qemu.log")
	report "JOB DID NOT FINISH: no 'JOB-DONE' sentinel (qemu exit $qrc); the end of the console" 5
fi
echo "${sentinel#JOB-DONE rc=}" >"$outdir/job.rc"
log "$variant: job finished with rc=$(<"$outdir/job.rc") in ${elapsed}s"
finish 0
