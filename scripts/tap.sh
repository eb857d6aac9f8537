# shellcheck shell=bash
# TAP-style reporting for scripts/test.sh; sourced after lib.sh.
#   tap_ok NAME | tap_not_ok NAME REASON... | tap_skip NAME REASON
#   tap_result NAME REASON | tap_rc_is NAME FILE WANT
#   tap_note TEXT...     (comment lines)
#   tap_end              (prints the plan and "N passed, N failed"; false if any failed)

TAP_N=0 TAP_PASSED=0 TAP_FAILED=0 TAP_SKIPPED=0

tap_ok() {
	TAP_N=$((TAP_N + 1)) TAP_PASSED=$((TAP_PASSED + 1))
	echo "ok $TAP_N - $1"
}

tap_not_ok() {
	local name=$1 reason
	shift
	TAP_N=$((TAP_N + 1)) TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $name"
	for reason in "$@"; do
		sed 's/^/#   /' <<<"$reason"
	done
}

# tap_result NAME REASON: ok when REASON is empty.
tap_result() {
	if [[ -z $2 ]]; then tap_ok "$1"; else tap_not_ok "$1" "$2"; fi
}

# tap_rc_is NAME FILE WANT: ok when FILE (a guest job's job.rc) holds WANT.
tap_rc_is() {
	local got
	got=$(cat "$2" 2>/dev/null || echo none)
	tap_result "$1" "$([[ $got == "$3" ]] || echo "exit code $got")"
}

# A skipped test is "ok ... # SKIP", which TAP consumers count as skipped; the
# last line counts it as neither passed nor failed.
tap_skip() {
	TAP_N=$((TAP_N + 1)) TAP_SKIPPED=$((TAP_SKIPPED + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

tap_note() { sed 's/^/# /' <<<"$*"; }

tap_end() {
	echo "1..$TAP_N"
	((TAP_SKIPPED == 0)) || echo "# $TAP_SKIPPED skipped"
	echo "$TAP_PASSED passed, $TAP_FAILED failed"
	((TAP_FAILED == 0))
}
