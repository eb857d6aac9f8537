#!/usr/bin/env bash
# The main job: sudo bash scripts/main.sh
#
# Sets everything up, runs collapse-check on the host kernel and, in QEMU, on
# every kernel variant of the column list that can be built (6.1 vanilla and
# patched, 6.12 as upstream ships it and with our boundary fix; a patched
# one only once its series has patches), and prints one table: a row per
# scenario and collapse path, a column per kernel. Also writes
# build/results/summary.json (every report, plus the table as data) and
# build/results/table.txt. Exits 1 if a column gave no report or its guest
# kernel reported trouble (the verdicts themselves don't change the exit).
#
# The row qemu-postcopy is the real pager end to end (docs/real-pager.md):
# collapse-pager migrates memfd RAM post-copy with Debian's QEMU while a
# backend collapses the destination's memfd, on the host and inside every
# column built with kernel/config/pager.config (vanilla and patched 6.1);
# PAGER_RUNS (default 5, 0 leaves the row out) runs per kernel.
#
# The row kselftest is the kselftest that kernel/6.12/patches adds to
# tools/testing/selftests/mm (uffd-collapse, docs/upstream.md), built once
# from the 6.12 tree and run on the host and in every column's guest (a boot
# of its own): PASS or FAIL with the tests passed of those planned. It
# fails on upstream 6.12 (the extent below an armed one is refused) and on
# vanilla 6.1 (holes zero-filled), and passes with the boundary fix.
# KSELFTEST=0 leaves the row out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"

# Columns of the table, in order: "host" or a variant of scripts/variants.sh.
# upstream-6.12 is Debian's 6.12 with upstream's own guard, and
# upstream-6.12-fixed the same with kernel/6.12/patches (its boundary fix).
# MAIN_COLUMNS (space-separated) overrides the list, e.g. "host vanilla".
TABLE_COLUMNS=(host vanilla patched upstream-6.12 upstream-6.12-fixed)
if [[ -n ${MAIN_COLUMNS:-} ]]; then
	read -ra TABLE_COLUMNS <<<"$MAIN_COLUMNS"
fi
for c in "${TABLE_COLUMNS[@]}"; do
	[[ $c == host ]] || variant_known "$c" || die "unknown column '$c'" 2
done

need_root
R=$CG_BUILD/results
rm -rf "$R"
mkdir -p "$R"

# quiet NAME COMMAND...: a set-up step, its output in $R/NAME.log.
quiet() { quiet_step "$R" "$@"; }

# join_row COLUMN FILE FIELD WHAT: adds the row in FILE (its FIELD, e.g.
# ".row", or the whole of it) to the column's report $R/COLUMN.json; without
# FILE, says that WHAT gave no report and marks the run failed.
join_row() {
	local c=$1 f=$2 field=$3 what=$4
	if [[ ! -f $f ]]; then
		log "$c: no $what report"
		failed=1
		return
	fi
	[[ -f $R/$c.json ]] || echo '{"results": []}' >"$R/$c.json"
	jq --slurpfile row "$f" ".results += [\$row[0]$field]" "$R/$c.json" \
		>"$R/$c.json.tmp" && mv "$R/$c.json.tmp" "$R/$c.json"
}

quiet setup "$CG_ROOT/scripts/setup.sh"
quiet make make -C "$CG_ROOT" -j"$(nproc)"
quiet make-static make -C "$CG_ROOT" -j"$(nproc)" STATIC=1
columns=()
for c in "${TABLE_COLUMNS[@]}"; do
	if [[ $c != host ]] && ! variant_buildable "$c"; then
		log "column $c left out: ${VARIANT_SERIES[$c]} has no *.patch"
		continue
	fi
	[[ $c == host ]] || quiet "kernel-$c" "$CG_ROOT/scripts/kernel-build.sh" "$c"
	columns+=("$c")
done
quiet initramfs "$CG_ROOT/scripts/initramfs.sh"
KSELFTEST=${KSELFTEST:-1}
[[ $KSELFTEST =~ ^[01]$ ]] || die "KSELFTEST must be 0 or 1, not '$KSELFTEST'" 2
((KSELFTEST == 0)) || quiet kselftest "$CG_ROOT/scripts/kselftest-build.sh"
PAGER_RUNS=${PAGER_RUNS:-5}
[[ $PAGER_RUNS =~ ^[0-9]+$ ]] || die "PAGER_RUNS must be a number, not '$PAGER_RUNS'" 2
((PAGER_RUNS == 0)) || quiet pager-initramfs "$CG_ROOT/scripts/pager-initramfs.sh"

failed=0
declare -A label=() rc=()
for c in "${columns[@]}"; do
	rc[$c]=null
	if [[ $c == host ]]; then
		label[$c]="host $(uname -r)"
		log "checker on the host"
		rc[$c]=0
		"$CG_BUILD/bin/collapse-check" --json-out "$R/host.json" \
			>"$R/host.log" 2>&1 || rc[$c]=$?
		[[ -f $R/host.json ]] || { log "host: no report (log: $R/host.log)"; failed=1; }
	else
		label[$c]=${VARIANT_LABEL[$c]}
		vrc=0
		CHECK_TIMEOUT=${CHECK_TIMEOUT:-60} "$CG_ROOT/scripts/vm-check.sh" "$c" "$R/$c" || vrc=$?
		if [[ -f $R/$c/result.json ]]; then
			cp "$R/$c/result.json" "$R/$c.json"
			rc[$c]=$(cat "$R/$c/job.rc" 2>/dev/null || echo null)
		fi
		((vrc == 0)) || failed=1
	fi
done

# The real pager: its report's row joins the column's checker report (a
# report of its own when the checker gave none).
pager_column() {
	[[ $1 == host || " ${VARIANT_CONFIGS[$1]} " == *" pager "* ]]
}
for c in "${columns[@]}"; do
	if ((PAGER_RUNS == 0)) || ! pager_column "$c"; then
		continue
	fi
	if [[ $c == host ]]; then
		log "QEMU post-copy on the host ($PAGER_RUNS runs)"
		"$CG_BUILD/bin/collapse-pager" run --tap --runs "$PAGER_RUNS" \
			--json-out "$R/host-pager.json" >"$R/host-pager.tap" 2>&1 || true
	else
		log "QEMU post-copy in $c ($PAGER_RUNS runs)"
		prc=0
		"$CG_ROOT/scripts/vm-pager.sh" "$c" "$R/$c-pager" --runs "$PAGER_RUNS" || prc=$?
		[[ ! -f $R/$c-pager/result.json ]] || cp "$R/$c-pager/result.json" "$R/$c-pager.json"
		((prc == 0)) || failed=1
	fi
	join_row "$c" "$R/$c-pager.json" .row "QEMU post-copy"
done

# The kselftest: its row joins the column's report like the pager's.
for c in "${columns[@]}"; do
	((KSELFTEST)) || break
	if [[ $c == host ]]; then
		log "kselftest uffd-collapse on the host"
		krc=0
		"$CG_BUILD/kselftest/uffd-collapse" >"$R/host-kselftest.tap" 2>&1 || krc=$?
		"$CG_ROOT/scripts/kselftest-row.sh" "$R/host-kselftest.tap" "$krc" \
			>"$R/host-kselftest.json"
	else
		log "kselftest uffd-collapse in $c"
		krc=0
		"$CG_ROOT/scripts/vm-kselftest.sh" "$c" "$R/$c-kselftest" || krc=$?
		[[ ! -f $R/$c-kselftest/row.json ]] ||
			cp "$R/$c-kselftest/row.json" "$R/$c-kselftest.json"
		((krc == 0)) || failed=1
	fi
	join_row "$c" "$R/$c-kselftest.json" "" kselftest
done

cells=()
for c in "${columns[@]}"; do cells+=("${label[$c]}=$R/$c.json"); done
echo
"$CG_ROOT/scripts/table.sh" "${cells[@]}" | tee "$R/table.txt"

for c in "${columns[@]}"; do
	jq -n --arg id "$c" --arg name "${label[$c]}" --argjson exit "${rc[$c]}" \
		--slurpfile report <(cat "$R/$c.json" 2>/dev/null) \
		--slurpfile pager <(cat "$R/$c-pager.json" 2>/dev/null) \
		'{id: $id, "label": $name, checker_exit: $exit, report: ($report[0] // null),
		  pager: ($pager[0] // null)}'
done | jq -s --arg generated "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
	. as $cols
	| {generated: $generated, columns: $cols,
	   rows: (reduce ($cols[].report.results // [] | .[]) as $r ([];
		if any(.[]; .scenario == $r.scenario and .path == $r.path
			and .memory == $r.memory) then .
		else . + [{scenario: $r.scenario, kind: $r.kind, memory: $r.memory,
			path: $r.path}] end)
		| map(. as $row | . + {cells: (reduce $cols[] as $c ({};
			.[$c.id] = ([$c.report.results // [] | .[]
				| select(.scenario == $row.scenario and .path == $row.path
					and .memory == $row.memory)
				| {verdict, madv_errno}
				  + (if .kind == "end-to-end" or .kind == "kselftest"
				     then {detail} else {} end)
				  + (if .tally == null then {} else {tally} end)][0])))}))}' \
	>"$R/summary.json"
log "wrote $R/summary.json and $R/table.txt"
exit "$failed"
