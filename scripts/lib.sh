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
