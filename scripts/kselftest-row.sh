#!/usr/bin/env bash
# Turns the TAP output of the uffd-collapse kselftest into a row of the
# checker's report format, for scripts/table.sh and summary.json:
#
#   scripts/kselftest-row.sh TAP-FILE EXIT-CODE
#
# verdict: PASS (exit 0, every test ok or skipped), FAIL (a "not ok"),
# SKIP (exit 4, the whole test skipped) or ERROR (no plan, fewer results
# than planned, or an exit code that does not match the results); tally:
# "ok/planned"; detail: the failed tests, or the reason.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 TAP-FILE EXIT-CODE" >&2; exit 2; }
tap=$1 rc=$2
plan=$(grep -oE '^1\.\.[0-9]+' "$tap" 2>/dev/null | head -n 1 | cut -d. -f3 || true)
ok=$(grep -cE '^ok [0-9]+' "$tap" 2>/dev/null || true)
notok=$(grep -E '^not ok [0-9]+' "$tap" 2>/dev/null || true)
nnot=$(grep -cE '^not ok [0-9]+' "$tap" 2>/dev/null || true)
skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$tap" 2>/dev/null || true)

if [[ $rc == 4 && -z $notok ]]; then
	verdict=SKIP detail=$(grep -m1 -E '^(1\.\.0|ok .*# SKIP)' "$tap" || echo "skipped")
elif [[ -z $plan ]]; then
	verdict=ERROR detail="no TAP plan (exit code ${rc:-none})"
elif ((ok + nnot != plan)); then
	verdict=ERROR detail="$((ok + nnot)) results of $plan planned (exit code ${rc:-none})"
elif ((nnot > 0)) && [[ $rc == 1 ]]; then
	verdict=FAIL detail=$(printf '%s; ' "${notok//$'\n'/; }")
	detail=${detail%; }
elif ((nnot == 0)) && [[ $rc == 0 ]]; then
	verdict=PASS detail="$((ok - skipped)) passed, $skipped skipped"
else
	verdict=ERROR detail="$nnot failed but exit code ${rc:-none}"
fi
jq -n --arg verdict "$verdict" --arg tally "$((ok - skipped))/${plan:-0}" \
	--arg detail "$detail" \
	'{scenario: "kselftest", kind: "kselftest", path: "uffd-collapse",
	  verdict: $verdict, tally: $tally, madv_errno: null, detail: $detail}'
