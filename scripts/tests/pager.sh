# shellcheck shell=bash
# The real pager end to end (scripts/test.sh, sourced; docs/real-pager.md):
# Debian's QEMU migrates memfd guest RAM post-copy inside vanilla and patched
# 6.1 guests while a backend process maps the destination's memfd and asks
# for THP collapse. Vanilla must fail (the test can fail), patched must pass.
# Uses $T and built[].

# Runs with the backend per kernel, after the control run (CI's time is
# short: scripts/pager.sh runs 5 per kernel).
PAGER_TEST_RUNS=${PAGER_TEST_RUNS:-2}

# pager_guest VARIANT: boots VARIANT with the job; one TAP test for the boot.
# Succeeds when the report is there ($T/pager-VARIANT/result.json).
pager_guest() {
	local v=$1 label=${VARIANT_LABEL[$1]} dir=$T/pager-$1 rc=0 start
	local name="$label: QEMU post-copy job runs in QEMU, console log clean"
	if [[ -z ${built[$v]:-} ]]; then
		tap_not_ok "$name" "kernel $v was not built"
		return 1
	fi
	start=$(now)
	"$CG_ROOT/scripts/vm-pager.sh" "$v" "$dir" --runs "$PAGER_TEST_RUNS" \
		>"$dir.log" 2>&1 || rc=$?
	tap_result "$name" "$( ((rc == 0)) || cat "$dir.log")"
	tap_note "$label: boot and $((PAGER_TEST_RUNS + 1)) migrations took $(($(now) - start)) s"
	[[ -f $dir/result.json ]] || return 1
	tap_note "$(grep -aE '^(ok|not ok) ' "$dir/console.log" | tr -d '\r')"
}

# pager_expect VARIANT TITLE JQ-FILTER: passes when the filter yields true on
# the report; otherwise shows the summary and the runs' reasons.
pager_expect() {
	local report=$T/pager-$1/result.json
	tap_result "${VARIANT_LABEL[$1]}: $2" \
		"$(jq -e "$3" "$report" >/dev/null 2>&1 || jq -r '"verdict \(.verdict): \(.row.detail)"' \
			"$report" 2>&1)"
}

test_pager() {
	local v
	for v in vanilla patched; do
		if ! variant_buildable "$v"; then
			tap_skip "${VARIANT_LABEL[$v]} QEMU post-copy" "${VARIANT_SERIES[$v]} has no *.patch"
			continue
		fi
		pager_guest "$v" || continue
		pager_expect "$v" "QEMU post-copy without the backend completes, RAM identical (control)" \
			'.summary.control == "PASS"'
		if [[ $v == vanilla ]]; then
			pager_expect "$v" "QEMU post-copy FAILs with the collapsing backend (the test can fail)" \
				'.verdict == "FAIL" and .summary.failed >= 1
				and ([.runs[] | select(.verdict == "FAIL")
					| select((.place_page_error // "" | test("File exists"))
						or ((.ram_vs_source.pages // 0) > 0)) ] | length) == .summary.failed'
		else
			pager_expect "$v" "QEMU post-copy PASSes with the collapsing backend, every run" \
				'.verdict == "PASS" and .summary.passed == .summary.runs and .summary.runs >= 1'
			pager_expect "$v" "the backend's MADV_COLLAPSE of extents with holes fails with EBUSY" \
				'.row.madv_errno == "EBUSY" and .summary.partial_refused > 0'
		fi
		# Once post-copy is over QEMU unregisters its userfaultfd: collapse
		# must work again (a kernel that refuses every collapse would pass
		# the runs above), and the RAM is compared after it.
		pager_expect "$v" "after the migration every extent collapses (MADV_COLLAPSE), RAM identical" \
			'.summary.after_extents > 0 and .summary.after_huge_extents == .summary.after_extents'
		pager_expect "$v" "THP knobs restored after every run" '.knobs_restored == true'
		tap_note "$(jq -r '"\(.row.verdict): \(.row.detail)"' "$T/pager-$v/result.json")"
	done
}
