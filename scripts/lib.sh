# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this
# Shared paths and helpers of the collapse-guard scripts; sourced, never run.

CG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CG_BUILD=$CG_ROOT/build
export LC_ALL=C

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# die MESSAGE [EXIT-CODE]
die() {
	log "error: $1"
	exit "${2:-1}"
}

need_root() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo bash $0)" 2
}

# Seconds since the epoch, for timings.
now() { date +%s; }

# quiet_step LOGDIR NAME COMMAND...: runs a set-up step with its output in
# LOGDIR/NAME.log and says "NAME (N s)" when it is done; when it fails, shows
# the log's last lines and dies (exit code $QUIET_STEP_FAIL, default 1).
quiet_step() {
	local dir=$1 name=$2 t0
	shift 2
	t0=$(now)
	"$@" >"$dir/$name.log" 2>&1 || {
		tail -n 30 "$dir/$name.log" >&2
		die "$name failed (log: $dir/$name.log)" "${QUIET_STEP_FAIL:-1}"
	}
	log "$name ($(($(now) - t0)) s)"
}
