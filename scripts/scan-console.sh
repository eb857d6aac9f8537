#!/usr/bin/env bash
# Scans a guest console log for kernel reports of trouble:
#
#   scripts/scan-console.sh CONSOLE-LOG
#
# Only kernel lines (those with a printk timestamp) are read, so the job's own
# output cannot trip it. Prints each offending line with its line number and
# exits 1 if there is any, 0 if the log is clean.
set -euo pipefail

[[ $# -eq 1 && -f $1 ]] || { echo "usage: $0 CONSOLE-LOG" >&2; exit 2; }

patterns=(
	'Kernel panic' 'BUG:' 'WARNING:' 'Oops' 'general protection'
	'Call Trace' 'DEBUG_LOCKS_WARN_ON' 'INFO: '
	'possible circular locking' 'possible recursive locking'
	'inconsistent lock state' 'suspicious RCU usage' 'rcu.*stall'
	'soft lockup' 'hard LOCKUP' 'KASAN' 'kmemleak: [0-9]+ new suspected' 'UBSAN'
	'Out of memory' 'invoked oom-killer'
)
regex="\\[ *[0-9]+\\.[0-9]{6}\\] .*($(IFS='|'; echo "${patterns[*]}"))"
found=$(grep -naE "$regex" "$1" | tr -d '\r' || true)
[[ -z $found ]] && exit 0
printf '%s\n' "$found"
exit 1
