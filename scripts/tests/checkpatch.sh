# shellcheck shell=bash
# checkpatch.pl --strict of the patched tree on every patch we carry: the
# series, its test-only patches and the test-only patch for vanilla
# (scripts/test.sh, sourced). Uses $T.

test_checkpatch() {
	local tree=$CG_BUILD/src/patched p name
	local -a patches
	mapfile -t patches < <(variant_patches patched-debug; variant_patches vanilla-debug)
	mapfile -t patches < <(printf '%s\n' "${patches[@]}" | sort -u)
	if ((${#patches[@]} == 0)) || [[ -z ${patches[0]} ]]; then
		tap_skip "checkpatch" "${VARIANT_SERIES[patched]} has no *.patch"
		return
	fi
	for p in "${patches[@]}"; do
		name="checkpatch --strict: ${p##*/}: no errors, no warnings, no checks"
		if [[ ! -f $tree/scripts/checkpatch.pl ]]; then
			tap_not_ok "$name" "no patched tree at $tree (kernel build failed?)"
			continue
		fi
		checkpatch_clean "$name" "$tree" "$p" UNKNOWN_COMMIT_ID
	done
}

# checkpatch_clean NAME TREE PATCH IGNORES: one test, passes when TREE's
# checkpatch.pl --strict, with the comma-separated message types IGNORES
# left out, reports no error, warning or check on PATCH. The trees are
# Debian's tarballs, not mainline's git, so every caller ignores
# UNKNOWN_COMMIT_ID: checkpatch cannot look up a Fixes: id there and would
# call every one unknown. The output stays in $T/checkpatch-PATCH.log.
checkpatch_clean() {
	local name=$1 tree=$2 p=$3 ignores=$4 out totals
	out=$(cd "$tree" && perl scripts/checkpatch.pl --strict \
		--ignore "$ignores" "$p" 2>&1) || true
	printf '%s\n' "$out" >"$T/checkpatch-${p##*/}.log"
	totals=$(grep -E '^total: ' <<<"$out" || true)
	if [[ $totals =~ ^total:\ 0\ errors,\ 0\ warnings,\ 0\ checks ]]; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "${totals:-checkpatch printed no totals}" \
			"$(grep -E -A3 '^(ERROR|WARNING|CHECK):' <<<"$out" | head -n 40)"
	fi
}
