#!/usr/bin/env bash
# The real pager end to end (docs/real-pager.md): sudo bash scripts/pager.sh
#
# QEMU post-copy live migration of memfd guest RAM, with a backend process
# that maps the destination's memfd and asks for THP collapse (collapse-pager,
# src/pager/), run by Debian's QEMU inside vanilla and patched 6.1 guests
# (nested TCG) and once on the host kernel as the upstream reference. Sets
# everything up itself (packages, builds, kernels, initramfs archives).
#
#   scripts/pager.sh [COLUMN...]     columns: host and/or variants built with
#                                    kernel/config/pager.config; default
#                                    "host vanilla patched"
#
# PAGER_RUNS (default 5) runs with the backend per kernel, after a control
# run without it; PAGER_ARGS adds collapse-pager options (e.g. "--mode
# khugepaged"). Prints each kernel's runs and one line per kernel, writes
# build/pager/summary.json (every report) and build/pager/<column>/.
# Exit status: 0 when vanilla 6.1 FAILs and patched 6.1 PASSes (the expected
# outcome; a column left out is not judged), 1 otherwise, 2 set-up error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"

columns=("$@")
((${#columns[@]})) || columns=(host vanilla patched)
for c in "${columns[@]}"; do
	[[ $c == host ]] && continue
	variant_known "$c" || die "unknown column '$c'" 2
	[[ " ${VARIANT_CONFIGS[$c]} " == *" pager "* ]] ||
		die "variant $c is not built with kernel/config/pager.config" 2
done
runs=${PAGER_RUNS:-5}
[[ $runs =~ ^[0-9]+$ ]] || die "PAGER_RUNS must be a number, not '$runs'" 2
read -ra extra <<<"${PAGER_ARGS:-}"

need_root
P=$CG_BUILD/pager
rm -rf "$P"
mkdir -p "$P"
start=$(now)

# quiet NAME COMMAND...: a set-up step, its output in $P/NAME.log.
quiet() { QUIET_STEP_FAIL=2 quiet_step "$P" "$@"; }

quiet setup "$CG_ROOT/scripts/setup.sh"
quiet make make -C "$CG_ROOT" -j"$(nproc)"
quiet make-static make -C "$CG_ROOT" -j"$(nproc)" STATIC=1
for c in "${columns[@]}"; do
	[[ $c == host ]] || quiet "kernel-$c" "$CG_ROOT/scripts/kernel-build.sh" "$c"
done
quiet initramfs "$CG_ROOT/scripts/initramfs.sh"
quiet pager-initramfs "$CG_ROOT/scripts/pager-initramfs.sh"

declare -A verdict=() label=()
for c in "${columns[@]}"; do
	t=$(now)
	if [[ $c == host ]]; then
		label[$c]="host $(uname -r)"
		log "${label[$c]}: $runs runs"
		mkdir -p "$P/host"
		"$CG_BUILD/bin/collapse-pager" run --tap --runs "$runs" "${extra[@]}" \
			--json-out "$P/host/result.json" >"$P/host/run.tap" 2>"$P/host/run.log" || true
		cat "$P/host/run.tap"
	else
		label[$c]=${VARIANT_LABEL[$c]}
		log "${label[$c]}: $runs runs in QEMU"
		"$CG_ROOT/scripts/vm-pager.sh" "$c" "$P/$c" --runs "$runs" "${extra[@]}" ||
			log "$c: the guest run had trouble (see $P/$c/console.log)"
		grep -aE '^(ok|not ok|#) ' "$P/$c/console.log" | tr -d '\r' || true
	fi
	verdict[$c]=$(jq -r '.verdict' "$P/$c/result.json" 2>/dev/null || echo "NO-REPORT")
	log "${label[$c]}: ${verdict[$c]} ($(($(now) - t)) s)"
done

echo
printf '%-26s %-9s %s\n' kernel verdict runs
for c in "${columns[@]}"; do
	printf '%-26s %-9s %s\n' "${label[$c]}" "${verdict[$c]}" "$(jq -r '.summary |
		"\(.passed) passed, \(.failed) failed, \(.errors) errors of \(.runs); control \(.control)"' \
		"$P/$c/result.json" 2>/dev/null || echo "-")"
done
for c in "${columns[@]}"; do
	jq -n --arg id "$c" --arg name "${label[$c]}" \
		--slurpfile r <(cat "$P/$c/result.json" 2>/dev/null) \
		'{id: $id, label: $name, report: ($r[0] // null)}'
done | jq -s --arg generated "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson seconds "$(($(now) - start))" \
	'{generated: $generated, seconds: $seconds, columns: .}' >"$P/summary.json"
log "wrote $P/summary.json ($(($(now) - start)) s in all)"

rc=0
[[ -z ${verdict[vanilla]+set} || ${verdict[vanilla]} == FAIL ]] || rc=1
[[ -z ${verdict[patched]+set} || ${verdict[patched]} == PASS ]] || rc=1
exit "$rc"
