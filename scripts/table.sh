#!/usr/bin/env bash
# Prints collapse-check reports side by side, one row per scenario, memory
# type and path, one column per report:
#
#   scripts/table.sh LABEL=REPORT.json [LABEL=REPORT.json...]
#
# A cell is the verdict, followed by madvise's errno when MADV_COLLAPSE failed
# (e.g. "SAFE EBUSY"); a lifecycle row shows its safety and control parts
# ("SAFE/COLLAPSED"), the kselftest row its tests passed of those planned
# ("FAIL 8/9"); "-" when the report has no such row, "n/a" when the
# report is missing or not valid JSON. Rows without a memory type (the
# pager's, the kselftest's) have "-" in the memory column; the checker's
# rows of a report from before the memory axis are memfd rows.
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
	# A checker report from before the memory axis ran on memfds only.
	def key: [.scenario, .memory // (if .kind | IN("safety", "control", "lifecycle")
		then "memfd" else "-" end), .path];
	. as $cols
	| reduce ($cols[].results // [] | .[] | key) as $k
		([]; if index([$k]) then . else . + [$k] end)
	| (["scenario", "memory", "path"] + [$cols[].label]),
	  (.[] as $k | $k + [$cols[]
		| if .results == null then "n/a"
		  else ([.results[] | select(key == $k) | cell][0] // "-") end])
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
