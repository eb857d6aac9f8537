# shellcheck shell=bash
# The checker on the host kernel (scripts/test.sh, sourced). Uses $T.

THP_SYSFS=/sys/kernel/mm/transparent_hugepage

# shellcheck source=scripts/tests/host-cli.sh
. "$CG_ROOT/scripts/tests/host-cli.sh"
# shellcheck source=scripts/tests/host-knobs.sh
. "$CG_ROOT/scripts/tests/host-knobs.sh"

# The writable THP knobs and their values (counters left out).
thp_knobs() {
	local f
	find "$THP_SYSFS" -maxdepth 2 -type f -perm -u+w | sort | while read -r f; do
		printf '%s: %s\n' "${f#"$THP_SYSFS"/}" "$(cat "$f" 2>&1)"
	done
}

# report_rows REPORT FILTER: one line per result row that FILTER (a jq
# select over .results[]) picks, named scenario/memory/path.
report_rows() {
	jq -r ".results[] | select($2) |
		\"\\(.scenario)/\\(.memory)/\\(.path): \\(.verdict) (madv_errno \\(.madv_errno)): \\(.detail)\"" "$1"
}

test_host_checker() {
	local bin=$CG_BUILD/bin/collapse-check out=$T/host rc=0 prove_rc=0 start name
	name="host $(uname -r)"
	mkdir -p "$out"
	if [[ ! -x $bin ]]; then
		tap_not_ok "$name: checker runs" "build/bin/collapse-check was not built"
		return
	fi
	thp_knobs >"$out/knobs.before"
	start=$(now)
	"$bin" --tap --json-out "$out/result.json" >"$out/stdout.tap" 2>"$out/stderr.txt" || rc=$?
	tap_note "$name: checker took $(($(now) - start)) s"
	thp_knobs >"$out/knobs.after"

	tap_result "$name: checker exits 0" \
		"$( ((rc == 0)) || printf 'exit %s; stderr:\n%s' "$rc" "$(tail -n 20 "$out/stderr.txt")")"
	prove --exec cat "$out/stdout.tap" >"$out/prove.txt" 2>&1 || prove_rc=$?
	if (((rc == 0) == (prove_rc == 0))); then
		tap_ok "$name: prove passes the --tap output exactly when the exit status is 0"
	else
		tap_not_ok "$name: prove passes the --tap output exactly when the exit status is 0" \
			"exit $rc, prove exit $prove_rc:" "$(grep -i "not ok\|fail" "$out/prove.txt")"
	fi
	if ! jq -e '.tool == "collapse-check" and (.results | length > 0)' \
		"$out/result.json" >/dev/null 2>&1; then
		tap_not_ok "$name: checker writes a JSON report" "$out/result.json missing or invalid"
		return
	fi
	tap_result "$name: no safety row VULNERABLE (SAFE or SKIP only)" \
		"$(report_rows "$out/result.json" \
			'.kind == "safety" and .verdict != "SAFE" and .verdict != "SKIP"')"
	tap_result "$name: THP sysfs knobs unchanged afterwards" \
		"$(diff "$out/knobs.before" "$out/knobs.after")"
	tap_note "$("$CG_ROOT/scripts/table.sh" "$name=$out/result.json")"
}

# The checker hardened as a tool people run: command line, TAP, and the THP
# knobs under signals, SIGKILL and two runs at once (about 30 s).
test_host_checker_hardening() {
	local bin=$CG_BUILD/bin/collapse-check out=$T/host name
	name="host $(uname -r)"
	mkdir -p "$out"
	if [[ ! -x $bin ]]; then
		tap_not_ok "$name: checker hardening" "build/bin/collapse-check was not built"
		return
	fi
	test_host_cli "$bin" "$out" "$name"
	test_host_knobs "$bin" "$out" "$name"
}
