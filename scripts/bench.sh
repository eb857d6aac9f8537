#!/usr/bin/env bash
# The benchmark: sudo bash scripts/bench.sh [--with-6.12]
#
# Builds 6.1 without and with the series (variants bench-vanilla and
# bench-patched: the same source and config, base.config without DEBUG_VM),
# boots each under QEMU with -icount shift=0,sleep=off and one vCPU, so that
# guest time counts executed instructions (1 ns each) and idle time is
# skipped: the figures repeat from run to run and do not depend on the
# host's load. (One vCPU: under -icount, 6.1 hangs bringing up a second.)
# collapse-bench runs in each guest; this prints one table: a row per timed
# path with vanilla's and patched's ns/op, the ratio patched/vanilla, the
# target and whether it is met; then the granularity of the refusal for
# both collapse paths on both kernels. --with-6.12 adds the granularity on
# upstream-6.12 and upstream-6.12-fixed (builds them if needed).
#
# Writes build/results/bench.json (and keeps every guest's output under
# build/bench/). Exits 1 if a guest gave no report or its kernel reported
# trouble, if a row has no figures for either kernel (its operation failed,
# e.g. MADV_COLLAPSE with EAGAIN), if the candidate zero-filled the armed
# extent of the granularity run (no working guard) or collapsed none of the
# other extents (no working collapse); a missed target does not change the
# exit code.
#
# Environment: BENCH_ARGS (extra collapse-bench arguments, e.g.
# "--row-seconds 0.2"), BENCH_VARIANTS (default "bench-vanilla
# bench-patched": the baseline, then the candidate; a name that is no
# variant of scripts/variants.sh boots build/kernels/NAME/bzImage as it is,
# for a local experiment), QEMU_SMP (default 1),
# BOOT_TIMEOUT (default 3600).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"

with_612=0
case ${1:-} in
"") ;;
--with-6.12) with_612=1 ;;
*) die "usage: $0 [--with-6.12]" 2 ;;
esac
need_root

read -r -a pair <<<"${BENCH_VARIANTS:-bench-vanilla bench-patched}"
((${#pair[@]} == 2)) || die "BENCH_VARIANTS needs two variants, the baseline first" 2
for v in "${pair[@]}"; do
	variant_known "$v" || [[ -f $CG_BUILD/kernels/$v/bzImage ]] ||
		die "unknown variant '$v' and no build/kernels/$v/bzImage" 2
done
extra=()
((with_612)) && extra=(upstream-6.12 upstream-6.12-fixed)
icount="0,sleep=off"
export QEMU_SMP=${QEMU_SMP:-1}
B=$CG_BUILD/bench
R=$CG_BUILD/results
mkdir -p "$B" "$R"
start=$(now)

# quiet NAME COMMAND...: a set-up step, its output in $B/NAME.log.
quiet() { quiet_step "$B" "$@"; }

quiet setup "$CG_ROOT/scripts/setup.sh"
quiet make-static make -C "$CG_ROOT" -j"$(nproc)" STATIC=1
for v in "${pair[@]}" "${extra[@]}"; do
	if variant_known "$v"; then
		quiet "kernel-$v" "$CG_ROOT/scripts/kernel-build.sh" "$v"
	else
		log "$v: not a variant, booting build/kernels/$v/bzImage as it is"
	fi
done
quiet initramfs "$CG_ROOT/scripts/initramfs.sh"

# run_guest VARIANT ARGS...: collapse-bench in a guest (the job
# scripts/guest/bench.sh); its report lands in
# $B/VARIANT.json. Returns boot.sh's code, or 6 when no valid report came.
run_guest() {
	local v=$1 out=$B/$1 rc=0 t0
	shift
	t0=$(now)
	mkdir -p "$out"
	rm -f "$B/$v.json"
	QEMU_ICOUNT=$icount BOOT_TIMEOUT=${BOOT_TIMEOUT:-3600} \
		"$CG_ROOT/scripts/boot.sh" --report collapse-bench "$v" "$out" bench "$@" || rc=$?
	[[ ! -f $out/result.json ]] || cp "$out/result.json" "$B/$v.json"
	log "$v: guest ran $(($(now) - t0)) s (console: $out/console.log)"
	return "$rc"
}

failed=0
read -r -a bench_args <<<"${BENCH_ARGS:-}"
for v in "${pair[@]}"; do
	run_guest "$v" "${bench_args[@]}" || failed=1
done
for v in "${extra[@]}"; do
	run_guest "$v" --granularity-only || failed=1
done

base=${pair[0]} cand=${pair[1]}
# The combined report: rows joined by name, granularity of every kernel.
{
	for v in "${pair[@]}" "${extra[@]}"; do
		jq -c --arg id "$v" --arg lbl "${VARIANT_LABEL[$v]:-$v}" \
			'{id: $id, "label": $lbl, report: .}' "$B/$v.json" 2>/dev/null ||
			jq -nc --arg id "$v" --arg lbl "${VARIANT_LABEL[$v]:-$v}" \
				'{id: $id, "label": $lbl, report: null}'
	done
} | jq -s --arg generated "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg base "$base" --arg cand "$cand" --arg icount "shift=$icount" \
	--arg smp "$QEMU_SMP" --arg args "${BENCH_ARGS:-}" '
	(map({key: .id, value: .}) | from_entries) as $k
	| def rowsof($id): ($k[$id].report.rows // []);
	{generated: $generated,
	 command: "sudo bash scripts/bench.sh",
	 qemu: {icount: $icount, smp: ($smp | tonumber)}, bench_args: $args,
	 baseline: $base, candidate: $cand,
	 kernels: [.[] | {id, "label": .label, kernel: .report.kernel, total_s: .report.total_s}],
	 rows: [rowsof($base)[] as $b
		| (rowsof($cand) | map(select(.name == $b.name)) | .[0]) as $c
		| {name: $b.name, what: $b.what, class: $b.class, target: $b.target,
		   baseline_ns: (if $b.ok then $b.ns_per_op else null end),
		   candidate_ns: (if $c.ok then $c.ns_per_op else null end),
		   baseline_spread: (if $b.ok then ($b.max_ns - $b.min_ns) / $b.ns_per_op else null end),
		   candidate_spread: (if $c.ok then ($c.max_ns - $c.min_ns) / $c.ns_per_op else null end)}
		| .ratio = (if .baseline_ns and .candidate_ns then .candidate_ns / .baseline_ns else null end)
		| .met = (if .ratio then .ratio <= .target else null end)],
	 granularity: [.[] as $col | ($col.report.granularity // [])[]
		| {kernel: $col.label, id: $col.id} + .],
	 reports: (map({key: .id, value: .report}) | from_entries)}' >"$B/bench.json"
cp "$B/bench.json" "$R/bench.json"

echo
"$CG_ROOT/scripts/bench-table.sh" "$B/bench.json" | tee "$B/table.txt"

# A candidate that zero-fills the armed extent has no working guard: its
# ratios would price a kernel without the fix.
if jq -e --arg cand "$cand" 'any(.granularity[]; .id == $cand and
	(.armed_collapsed or (.each_armed_collapsed // false)))' "$B/bench.json" >/dev/null; then
	echo
	log "ERROR: $cand zero-filled the armed extent: its guard does not work," \
		"the ratios above are not those of the fix"
	failed=1
fi

# A row without figures (the operation failed in a guest) has no ratio: a
# candidate whose collapse fails (EAGAIN on every MADV_COLLAPSE, say) would
# otherwise pass with only the rows that do not collapse.
if jq -e 'any(.rows[]; .baseline_ns == null or .candidate_ns == null)' "$B/bench.json" >/dev/null; then
	echo
	log "ERROR: rows without figures:" \
		"$(jq -r '[.rows[] | select(.baseline_ns == null or .candidate_ns == null) | .name] | join(", ")' "$B/bench.json")" \
		"(the guests' errors are in $B/*/console.log)"
	failed=1
fi
# A candidate that collapses none of the unarmed extents has no working
# collapse, whatever its guard does.
if jq -e --arg cand "$cand" 'any(.granularity[]; .id == $cand and .ok and
	.other_total > 0 and .other_collapsed == 0)' "$B/bench.json" >/dev/null; then
	echo
	log "ERROR: $cand collapsed none of the unarmed extents of the granularity run"
	failed=1
fi

log "wrote $R/bench.json and $B/table.txt in $(($(now) - start)) s"
exit "$failed"
