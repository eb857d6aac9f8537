# shellcheck shell=bash
# The checker on 6.1 kernels in QEMU (scripts/test.sh, sourced). Uses $T,
# built[] and report_rows (tests/host.sh).

# The scenario names of each kind come from the checker (scenario_names);
# every row runs on each memory type.
SAFETY_SCENARIOS=()
CONTROL_SCENARIOS=()
MEMORIES=(memfd tmpfs)
PATHS=(madv_collapse khugepaged)
# A guest boot under TCG: the checker's bound for each wait, and the bound of
# a whole boot (the checker takes under a minute even with lockdep).
CHECK_TIMEOUT=${CHECK_TIMEOUT:-60}
export BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}

# scenario_names: fills SAFETY_SCENARIOS and CONTROL_SCENARIOS from the kind
# column of `collapse-check --list`; prints why and fails when it cannot.
scenario_names() {
	local list
	list=$("$CG_BUILD/bin/collapse-check" --list 2>&1) || {
		echo "collapse-check --list failed: $list"
		return 1
	}
	mapfile -t SAFETY_SCENARIOS < <(awk '/^Scenarios:/ {on = 1; next} /^$/ {on = 0}
		on && $2 == "safety" {print $1}' <<<"$list")
	mapfile -t CONTROL_SCENARIOS < <(awk '/^Scenarios:/ {on = 1; next} /^$/ {on = 0}
		on && $2 == "control" {print $1}' <<<"$list")
	((${#SAFETY_SCENARIOS[@]} && ${#CONTROL_SCENARIOS[@]})) ||
		{ echo "no safety or no control scenario in collapse-check --list"; return 1; }
}

# missing_rows REPORT PATH SCENARIO...: names the rows the report lacks, on
# any memory type.
missing_rows() {
	local report=$1 path=$2 s m
	shift 2
	for s in "$@"; do
		for m in "${MEMORIES[@]}"; do
			jq -e --arg s "$s" --arg p "$path" --arg m "$m" \
				'any(.results[]; .scenario == $s and .path == $p and .memory == $m)' \
				"$report" >/dev/null || echo "$s/$m/$path: no such row in the report"
		done
	done
}

# guest_run VARIANT: boots VARIANT with the checker; one TAP test for the run
# itself. Succeeds when a report is there to check ($T/VARIANT/result.json).
guest_run() {
	local v=$1 label=${VARIANT_LABEL[$1]} dir=$T/$1 rc=0 start
	local name="$label: checker runs in QEMU, console log clean"
	[[ $v == vanilla ]] || name+=" (no WARNING, no lockdep report)"
	if [[ -z ${built[$v]:-} ]]; then
		tap_not_ok "$name" "kernel $v was not built"
		return 1
	fi
	start=$(now)
	CHECK_TIMEOUT=$CHECK_TIMEOUT "$CG_ROOT/scripts/vm-check.sh" "$v" "$dir" \
		>"$dir.log" 2>&1 || rc=$?
	tap_result "$name" "$( ((rc == 0)) || cat "$dir.log")"
	tap_note "$label: boot and checker took $(($(now) - start)) s"
	[[ -f $dir/result.json ]] || return 1
	tap_note "$("$CG_ROOT/scripts/table.sh" "$label=$dir/result.json")"
}

# job_rc_is VARIANT WANT: the checker's exit code in the guest.
job_rc_is() {
	local got
	got=$(cat "$T/$1/job.rc" 2>/dev/null || echo none)
	tap_result "${VARIANT_LABEL[$1]}: checker exit code $2" \
		"$([[ $got == "$2" ]] || echo "exit code $got")"
}

test_vanilla_guest() {
	local r=$T/vanilla/result.json label=${VARIANT_LABEL[vanilla]} s
	guest_run vanilla || return 0
	job_rc_is vanilla 1
	tap_result "$label: every safety row VULNERABLE under madv_collapse, memfd and tmpfs (the checker can fail)" \
		"$(scenario_names && missing_rows "$r" madv_collapse "${SAFETY_SCENARIOS[@]}"
		report_rows "$r" '.kind == "safety" and .path == "madv_collapse"
			and .verdict != "VULNERABLE"')"
	tap_result "$label: every control COLLAPSED under madv_collapse" \
		"$(scenario_names && missing_rows "$r" madv_collapse "${CONTROL_SCENARIOS[@]}"
		report_rows "$r" '.kind == "control" and .path == "madv_collapse"
			and .verdict != "COLLAPSED"')"
	tap_result "$label: khugepaged column has verdicts, or SKIP with a reason" \
		"$(scenario_names &&
		missing_rows "$r" khugepaged "${SAFETY_SCENARIOS[@]}" "${CONTROL_SCENARIOS[@]}"
		report_rows "$r" '.path == "khugepaged" and (.verdict == "ERROR"
			or (.verdict == "SKIP" and (.detail // "") == ""))')"
	tap_note "$label lifecycle rows (the bug breaks each): $(jq -r '[.results[]
		| select(.kind == "lifecycle") | "\(.scenario)/\(.memory)/\(.path) \(.verdict)"]
		| join(", ")' "$r")"
	tap_note "$label khugepaged column: $(jq -r '[.results[] | select(.path == "khugepaged")
		| "\(.scenario)/\(.memory) \(.verdict)" + (if .verdict == "SKIP" then " (\(.detail))" else "" end)]
		| join(", ")' "$r")"
}

# Rows of the patched report that must be SAFE (safety) or COLLAPSED
# (control): SKIP is accepted only where vanilla skipped the same row.
patched_rows_bad() {
	local r=$1 want=$2 kind=$3 vanilla=$T/vanilla/result.json
	[[ -f $vanilla ]] || vanilla=/dev/null
	jq -r --arg want "$want" --arg kind "$kind" --slurpfile v <(cat "$vanilla") '
		($v[0].results // []) as $van
		| .results[] | select(.kind == $kind and .verdict != $want)
		| . as $row
		| select(.verdict != "SKIP" or
			([$van[] | select(.scenario == $row.scenario and .path == $row.path
				and .memory == $row.memory and .verdict == "SKIP")] | length == 0))
		| "\(.scenario)/\(.memory)/\(.path): \(.verdict) (madv_errno \(.madv_errno)): \(.detail)"
		  + (if .verdict == "SKIP" then " [vanilla did not skip it]" else "" end)' "$r"
}

test_patched_guest() {
	local v=$1 r=$T/$1/result.json label=${VARIANT_LABEL[$1]} p
	guest_run "$v" || return 0
	job_rc_is "$v" 0
	tap_result "$label: every safety row SAFE under both paths, memfd and tmpfs" \
		"$(scenario_names &&
		for p in "${PATHS[@]}"; do missing_rows "$r" "$p" "${SAFETY_SCENARIOS[@]}"; done
		patched_rows_bad "$r" SAFE safety)"
	tap_result "$label: MADV_COLLAPSE fails with EBUSY on every safety row" \
		"$(report_rows "$r" '.kind == "safety" and .path == "madv_collapse"
			and .madv_errno != "EBUSY"')"
	tap_result "$label: every control COLLAPSED under both paths, memfd and tmpfs" \
		"$(scenario_names &&
		for p in "${PATHS[@]}"; do missing_rows "$r" "$p" "${CONTROL_SCENARIOS[@]}"; done
		patched_rows_bad "$r" COLLAPSED control)"
	tap_result "$label: every lifecycle row SAFE while armed, COLLAPSED after" \
		"$(report_rows "$r" '.kind == "lifecycle" and .verdict != "SKIP"
			and (.verdict != "SAFE" or .control != "COLLAPSED")')"
}
