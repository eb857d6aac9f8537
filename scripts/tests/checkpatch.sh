# shellcheck shell=bash
# checkpatch.pl --strict of the patched tree on every patch we carry: the
# series, its test-only patches and the test-only patch for vanilla
# (scripts/test.sh, sourced). Uses $T.

test_checkpatch() {
	local tree=$CG_BUILD/src/patched p name out totals
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
		# The tree is Debian's tarball, not mainline's git: checkpatch
		# cannot look up the Fixes: ids and would call every one unknown.
		out=$(cd "$tree" && perl scripts/checkpatch.pl --strict \
			--ignore UNKNOWN_COMMIT_ID "$p" 2>&1) || true
		printf '%s\n' "$out" >"$T/checkpatch-${p##*/}.log"
		totals=$(grep -E '^total: ' <<<"$out" || true)
		if [[ $totals =~ ^total:\ 0\ errors,\ 0\ warnings,\ 0\ checks ]]; then
			tap_ok "$name"
		else
			tap_not_ok "$name" "${totals:-checkpatch printed no totals}" \
				"$(grep -E -A3 '^(ERROR|WARNING|CHECK):' <<<"$out" | head -n 40)"
		fi
	done
}
