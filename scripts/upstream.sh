#!/usr/bin/env bash
# The upstream series end to end: sudo bash scripts/upstream.sh [VARIANT...]
#
# Builds Debian's linux-source-6.12 without the series (upstream-6.12) and
# with kernel/6.12/patches (upstream-6.12-fixed), builds the series'
# kselftest tools/testing/selftests/mm/uffd-collapse from the 6.12 tree
# (scripts/kselftest-build.sh), boots each kernel under QEMU, runs the
# kselftest in it, and prints every run's TAP and one table. Expected:
# FAIL on upstream-6.12 (the extent just below an armed one is refused),
# PASS on upstream-6.12-fixed. Other variants may be named instead, e.g.
# "upstream-6.12 upstream-6.12-fixed vanilla patched" (the kselftest is a
# static program and runs on 6.1 too: vanilla 6.1 is expected to FAIL; on
# patched 6.1 the four safety tests pass and the controls fail, because
# 6.1's MADV_COLLAPSE returns EINVAL there even when it collapsed, so it
# has no expected verdict). Also runs checkpatch.pl --strict of the 6.12
# tree on every patch of the series. Exits 0 when every kernel gave its
# expected verdict and checkpatch is clean, 1 otherwise. Output:
# build/upstream/.
# The 6.12 kernels are not built by scripts/test.sh (docs/upstream.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"

targets=("$@")
((${#targets[@]})) || targets=(upstream-6.12 upstream-6.12-fixed)
for v in "${targets[@]}"; do
	variant_known "$v" || die "unknown variant '$v' (known: ${VARIANTS[*]})" 2
done
declare -A expect=([upstream-6.12]=FAIL [upstream-6.12-fixed]=PASS [vanilla]=FAIL)

need_root
U=$CG_BUILD/upstream
rm -rf "$U"
mkdir -p "$U"
start=$(now)

# quiet NAME COMMAND...: a set-up step, its output in $U/NAME.log.
quiet() { quiet_step "$U" "$@"; }

quiet setup "$CG_ROOT/scripts/setup.sh"
quiet make-static make -C "$CG_ROOT" -j"$(nproc)" STATIC=1
for v in "${targets[@]}"; do
	quiet "kernel-$v" "$CG_ROOT/scripts/kernel-build.sh" "$v"
done
quiet kselftest "$CG_ROOT/scripts/kselftest-build.sh"
quiet initramfs "$CG_ROOT/scripts/initramfs.sh"

failed=0
# checkpatch of the 6.12 tree the kselftest was built from. The tree is
# Debian's tarball, not mainline's git, so the Fixes: id cannot be looked
# up (UNKNOWN_COMMIT_ID); FILE_PATH_CHANGES asks whether MAINTAINERS needs
# a line for any new file, and tools/testing/selftests/mm/ is in it
# (MEMORY MANAGEMENT).
tree=$CG_BUILD/src/kselftest-6.12
mapfile -t patches < <(variant_patches upstream-6.12-fixed)
[[ -f $tree/scripts/checkpatch.pl ]] || {
	log "no 6.12 tree at $tree for checkpatch"
	failed=1
	patches=()
}
for p in "${patches[@]}"; do
	out=$(cd "$tree" && perl scripts/checkpatch.pl --strict \
		--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$p" 2>&1) || true
	printf '%s\n' "$out" >"$U/checkpatch-${p##*/}.log"
	totals=$(grep -E '^total: ' <<<"$out" || echo "no totals")
	log "checkpatch --strict ${p##*/}: $totals"
	[[ $totals =~ ^total:\ 0\ errors,\ 0\ warnings,\ 0\ checks ]] || failed=1
done

cells=()
for v in "${targets[@]}"; do
	rc=0
	"$CG_ROOT/scripts/vm-kselftest.sh" "$v" "$U/$v" || rc=$?
	echo "== uffd-collapse on ${VARIANT_LABEL[$v]:-$v} (TAP: $U/$v/uffd-collapse.tap)"
	cat "$U/$v/uffd-collapse.tap"
	echo
	((rc == 0)) || failed=1
	jq -n --slurpfile k "$U/$v/row.json" '{results: $k}' >"$U/$v.json"
	verdict=$(jq -r '.verdict' "$U/$v/row.json")
	if [[ -n ${expect[$v]:-} && $verdict != "${expect[$v]}" ]]; then
		log "$v: uffd-collapse $verdict, expected ${expect[$v]}"
		failed=1
	fi
	cells+=("${VARIANT_LABEL[$v]:-$v}=$U/$v.json")
done
"$CG_ROOT/scripts/table.sh" "${cells[@]}" | tee "$U/table.txt"
for v in "${targets[@]}"; do
	printf '%s: %s (expected %s)\n' "${VARIANT_LABEL[$v]:-$v}" \
		"$(jq -r '.verdict + " " + .tally + ": " + .detail' "$U/$v/row.json")" \
		"${expect[$v]:-nothing}"
done | tee -a "$U/table.txt"
log "total time $(($(now) - start)) s; exit $failed"
exit "$failed"
