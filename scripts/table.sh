#!/usr/bin/env bash
# Prints collapse-check reports side by side, one row per scenario and path,
# one column per report:
#
#   scripts/table.sh LABEL=REPORT.json [LABEL=REPORT.json...]
#
# A cell is the verdict, followed by madvise's errno when MADV_COLLAPSE failed
# (e.g. "SAFE EBUSY"); a lifecycle row shows its safety and control parts
# ("SAFE/COLLAPSED"), the kselftest row its tests passed of those planned
# ("FAIL 8/9"); "-" when the report has no such row, "n/a" when the
# report is missing or not valid JSON.
set -euo pipefail

(($#)) || { echo "usage: $0 LABEL=REPORT.json..." >&2; exit 2; }

for col in "$@"; do
	label=${col%%=*} file=${col#*=}
	jq -c --arg name "$label" '{"label": $name, results: .results}' "$file" 2>/dev/null ||
		jq -nc --arg name "$label" '{"label": $name, results: null}'
done | jq -rs '
	def cell: .verdict + (if .control == null then "" else "/" + .control end)
		+ (if .tally == null then "" else " " + .tally end)
		+ (if .madv_errno == null or .madv_errno == "0"
		then "" else " " + .madv_errno end);
	. as $cols
	| reduce ($cols[].results // [] | .[] | [.scenario, .path]) as $k
		([]; if index([$k]) then . else . + [$k] end)
	| (["scenario", "path"] + [$cols[].label]),
	  (.[] as $k | $k + [$cols[]
		| if .results == null then "n/a"
		  else ([.results[] | select(.scenario == $k[0] and .path == $k[1])
			| cell][0] // "-") end])
	| @tsv' |
	awk -F'\t' '
	function row(r,   i, line) {
		line = ""
		for (i = 1; i < nf; i++) line = line sprintf("%-" w[i] "s  ", cell[r, i])
		return line cell[r, nf]
	}
	{
		for (i = 1; i <= NF; i++) {
			cell[NR, i] = $i
			if (length($i) > w[i]) w[i] = length($i)
		}
		if (NF > nf) nf = NF
	}
	END {
		for (i = 1; i <= nf; i++) {
			cell[0, i] = sprintf("%" w[i] "s", "")
			gsub(/ /, "-", cell[0, i])
		}
		print row(1)
		print row(0)
		for (r = 2; r <= NR; r++) print row(r)
	}'
