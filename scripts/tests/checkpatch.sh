# shellcheck shell=bash
# checkpatch.pl of the patched tree on every patch of the series
# (scripts/test.sh, sourced). Uses $T.

test_checkpatch() {
	local tree=$CG_BUILD/src/patched p name out totals
	local -a patches
	mapfile -t patches < <(variant_patches patched)
	if ((${#patches[@]} == 0)); then
		tap_skip "checkpatch" "${VARIANT_SERIES[patched]} has no *.patch"
		return
	fi
	for p in "${patches[@]}"; do
		name="checkpatch: ${p##*/}: no errors, no warnings"
		if [[ ! -f $tree/scripts/checkpatch.pl ]]; then
			tap_not_ok "$name" "no patched tree at $tree (kernel build failed?)"
			continue
		fi
		out=$(cd "$tree" && perl scripts/checkpatch.pl "$p" 2>&1) || true
		printf '%s\n' "$out" >"$T/checkpatch-${p##*/}.log"
		totals=$(grep -E '^total: ' <<<"$out" || true)
		if [[ $totals =~ ^total:\ 0\ errors,\ 0\ warnings ]]; then
			tap_ok "$name"
		else
			tap_not_ok "$name" "${totals:-checkpatch printed no totals}" \
				"$(grep -E -A3 '^(ERROR|WARNING):' <<<"$out" | head -n 40)"
		fi
	done
}
