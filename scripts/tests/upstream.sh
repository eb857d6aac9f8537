# shellcheck shell=bash
# The upstream series (kernel/6.12/patches, docs/upstream.md) in
# scripts/test.sh (sourced). Uses $T and the array built[] of test.sh.
#
# The test command builds no 6.12 kernel (scripts/upstream.sh does, and
# shows the kselftest failing on upstream 6.12 and passing with the fix);
# here: the series applies with git am and its kselftest builds (no
# warnings, static), checkpatch of the 6.12 tree is clean on each patch,
# and the kselftest, run in the 6.1 guests, can fail: on vanilla 6.1 its
# safety tests fail (the holes are zero-filled), on patched 6.1 they pass.
# Its control tests are not asserted on 6.1, whose MADV_COLLAPSE of file
# memory returns EINVAL here even when it collapsed the page cache.

test_upstream_series() {
	local tree=$CG_BUILD/src/kselftest-6.12 p name v tap n want
	local -a patches
	if ! step "upstream series: kernel/6.12/patches applies with git am, its kselftest builds (static, no warnings)" \
		"$T/kselftest-build.log" "$CG_ROOT/scripts/kselftest-build.sh"; then
		return
	fi
	# FILE_PATH_CHANGES: checkpatch asks whether MAINTAINERS needs a line
	# for any new file; tools/testing/selftests/mm/ is in it.
	mapfile -t patches < <(variant_patches upstream-6.12-fixed)
	for p in "${patches[@]}"; do
		checkpatch_clean "checkpatch --strict (6.12 tree): ${p##*/}: no errors, no warnings, no checks" \
			"$tree" "$p" UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES
	done
	for v in vanilla patched; do
		name="kselftest uffd-collapse in $v: safety tests (1-4) $([[ $v == vanilla ]] && echo fail || echo pass)"
		if [[ -z ${built[$v]:-} ]]; then
			tap_skip "$name" "kernel $v not built"
			continue
		fi
		"$CG_ROOT/scripts/vm-kselftest.sh" "$v" "$T/kselftest-$v" \
			>"$T/kselftest-$v.log" 2>&1 || {
			tap_not_ok "$name" "the guest run failed (log: $T/kselftest-$v.log)" \
				"$(tail -n 10 "$T/kselftest-$v.log")"
			continue
		}
		tap=$T/kselftest-$v/uffd-collapse.tap
		n=$(grep -cE '^ok [1-4] ' "$tap" || true)
		want=4
		[[ $v == patched ]] || want=0
		if ! grep -qE '^1\.\.9$' "$tap"; then
			tap_not_ok "$name" "no plan of 9 tests" "$(cat "$tap")"
		elif ((n == want)); then
			tap_ok "$name"
		else
			tap_not_ok "$name" "$n of the 4 passed, expected $want" "$(cat "$tap")"
		fi
	done
}
