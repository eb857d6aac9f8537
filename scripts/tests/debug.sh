# shellcheck shell=bash
# Races, stress and fault injection on the debug kernels (scripts/test.sh,
# sourced): vanilla-debug (vanilla + the park facility of patch 0001) must
# show the bug, patched-debug (the whole series) must not. Both kernels have
# lockdep, KASAN, kmemleak and fault injection; scripts/boot.sh fails a run
# on any report of theirs. Uses $T and built[].

STRESS_SECONDS=${STRESS_SECONDS:-60}
# The bug shows within a second on vanilla: a short run is enough there.
VANILLA_STRESS_SECONDS=${VANILLA_STRESS_SECONDS:-30}
FAULTINJ_SECONDS=${FAULTINJ_SECONDS:-20}
# collapse-stress --pager-view (park-free): patched-debug must count 0 and 0
# over this run (a few hundred rounds; series v1 fails at least 3 % and 7 %
# of them); on vanilla-debug a hole seen after registering is filled within
# seconds.
PAGER_VIEW_SECONDS=${PAGER_VIEW_SECONDS:-20}
VANILLA_PAGER_VIEW_SECONDS=${VANILLA_PAGER_VIEW_SECONDS:-10}
# Rows of collapse-race that must FAIL on vanilla-debug (vanilla 6.1 plus
# the park facility: its locked, not up to date huge page in every hole,
# then a commit over them). Every other row must PASS there, or SKIP: the
# "guarded" rows, whose point only the series has (docs/races.md).
RACE_BUG_ROWS=(register-at-copied fault-at-copied copy-at-copied write-at-copied
	fallocate-at-copied punch-at-copied punch-hole-at-copied truncate-half-at-copied)
# How many rows collapse-race has: patched-debug must run them all.
RACE_ROWS=13

# debug_job VARIANT NAME JOB [PARAM=VALUE...]: boots VARIANT with the guest
# job JOB (scripts/guest/JOB.sh) and its parameters; one TAP test for the
# boot (the job ran to its end, the console is clean). The job's JSON report
# is left in $T/VARIANT-NAME/report.json.
debug_job() {
	local v=$1 name=$2 job=$3 dir=$T/$1-$2 rc=0 start p
	local title="${VARIANT_LABEL[$v]}: $name job runs, console clean (no WARNING, KASAN, kmemleak, lockdep)"
	local -a params=()
	shift 3
	for p in "$@"; do
		params+=(--param "$p")
	done
	if [[ -z ${built[$v]:-} ]]; then
		tap_not_ok "$title" "kernel $v was not built"
		return 1
	fi
	mkdir -p "$dir"
	start=$(now)
	"$CG_ROOT/scripts/boot.sh" "${params[@]}" "$v" "$dir" "$job" \
		>"$dir.log" 2>&1 || rc=$?
	tap_result "$title" "$( ((rc == 0)) || cat "$dir.log")"
	tap_note "${VARIANT_LABEL[$v]}: $name took $(($(now) - start)) s"
	jq . "$dir/channel.out" >"$dir/report.json" 2>/dev/null || rm -f "$dir/report.json"
	[[ -f $dir/report.json ]]
}

# debug_expect VARIANT NAME TITLE JQ-FILTER: one test, passes when the
# filter yields true on the job's report; otherwise shows the report.
debug_expect() {
	local report=$T/$1-$2/report.json
	tap_result "${VARIANT_LABEL[$1]}: $3" \
		"$(jq -e "$4" "$report" >/dev/null 2>&1 || jq -c '.summary // .' "$report" 2>&1)"
}

# debug_rc_is VARIANT NAME WANT: the job's exit code.
debug_rc_is() {
	tap_rc_is "${VARIANT_LABEL[$1]}: $2 exit code $3" "$T/$1-$2/job.rc" "$3"
}

test_races() {
	local rows
	rows=$(printf '"%s",' "${RACE_BUG_ROWS[@]}")
	rows="[${rows%,}]"
	if debug_job vanilla-debug race race; then
		debug_rc_is vanilla-debug race 1
		debug_expect vanilla-debug race "the bug fails ${RACE_BUG_ROWS[*]}" \
			"$rows as \$want | [.results[] | select(.row as \$r | \$want | index(\$r))
				| .verdict] == [\$want[] | \"FAIL\"]"
		debug_expect vanilla-debug race "the other race rows PASS (controls) or SKIP (guarded)" \
			"$rows as \$want | [.results[] | select(.row as \$r | \$want | index(\$r) | not)
				| select(.verdict == \"FAIL\" or (.verdict == \"SKIP\"
					and (.point != \"guarded\")))] == []"
	fi
	if debug_job patched-debug race race; then
		debug_rc_is patched-debug race 0
		debug_expect patched-debug race "all $RACE_ROWS race rows PASS, none skipped" \
			".summary.fail == 0 and .summary.skip == 0 and (.results | length) == $RACE_ROWS"
	fi
	tap_note "$(jq -r '"race rows: " + ([.results[] | "\(.row) \(.verdict)"] | join(", "))' \
		"$T/patched-debug-race/report.json" 2>/dev/null)"
}

test_stress() {
	local p="stress_seconds=$STRESS_SECONDS"
	if debug_job vanilla-debug stress stress \
		"stress_seconds=$VANILLA_STRESS_SECONDS"; then
		debug_expect vanilla-debug stress "stress catches the bug (integrity violations > 0)" \
			'.violations > 0'
	fi
	if debug_job patched-debug stress stress "$p"; then
		debug_rc_is patched-debug stress 0
		debug_expect patched-debug stress "stress: 0 violations, collapses committed and refused" \
			'.violations == 0 and .collapses_committed > 0 and .collapses_refused > 0'
	fi
	for v in vanilla-debug patched-debug; do
		tap_note "$(jq -r --arg v "${VARIANT_LABEL[$v]}" '"\($v) stress: \(.seconds) s, violations \(.violations), collapses committed \(.collapses_committed), refused \(.collapses_refused), faults \(.faults), served \(.served)"' \
			"$T/$v-stress/report.json" 2>/dev/null)"
	done
	test_pager_view
}

# The park-free statistical check (docs/stress.md, "Pager view"): what a
# pager sees of a MADV_COLLAPSE that races its registration. Vanilla never
# refuses, so a hole its pager saw gets filled (counter 2): that is the proof
# the check can fail. Its counter 1 comes only from collapses that fail late
# for their own reasons (pinned rounds), too few in a short run to require.
test_pager_view() {
	if debug_job vanilla-debug pager-view stress \
		stress_mode=pager-view "pv_seconds=$VANILLA_PAGER_VIEW_SECONDS"; then
		debug_rc_is vanilla-debug pager-view 1
		debug_expect vanilla-debug pager-view \
			"pager view: a hole seen after registering is filled (counter 2 > 0)" \
			'.hole_seen_then_filled > 0'
	fi
	if debug_job patched-debug pager-view stress \
		stress_mode=pager-view "pv_seconds=$PAGER_VIEW_SECONDS"; then
		debug_rc_is patched-debug pager-view 0
		debug_expect patched-debug pager-view \
			"pager view: no EEXIST for a hole, no hole seen then filled; collapses committed and not" \
			'.eexist_hole_after == 0 and .hole_seen_then_filled == 0 and .content_errors == 0
				and .registered_during_collapse > 0 and .committed > 0 and .not_committed > 0'
	fi
	for v in vanilla-debug patched-debug; do
		tap_note "$(jq -r --arg v "${VARIANT_LABEL[$v]}" '"\($v) pager view: \(.rounds) rounds in \(.elapsed_ms / 1000) s, registered during the collapse \(.registered_during_collapse), committed \(.committed), EEXIST for a hole \(.eexist_hole_after) (\(.pinned.eexist_hole_after) in \(.pinned_rounds) pinned rounds), hole seen then filled \(.hole_seen_then_filled)"' \
			"$T/$v-pager-view/report.json" 2>/dev/null)"
	done
}

test_faultinj() {
	if debug_job patched-debug faultinj stress \
		stress_mode=faultinj "fi_seconds=$FAULTINJ_SECONDS"; then
		debug_rc_is patched-debug faultinj 0
		tap_note "$(jq -c '.summary // .' "$T/patched-debug-faultinj/report.json")"
	fi
}
