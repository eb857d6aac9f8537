#!/usr/bin/env bash
# Prints the tables of a combined benchmark report (build/results/bench.json,
# written by scripts/bench.sh):
#
#   scripts/bench-table.sh [REPORT.json]
#
# First the timed rows (baseline and candidate ns/op, ratio, target, met or
# MISSED), then the granularity of every kernel in the report.
set -euo pipefail
report=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/results/bench.json}
[[ -f $report ]] || { echo "usage: $0 [REPORT.json] ($report missing)" >&2; exit 2; }

jq -r '"collapse-bench under QEMU -icount \(.qemu.icount) (1 ns = 1 instruction),"
	+ " \(.qemu.smp) vCPUs; \(.generated)"' "$report"
echo
jq -r '
	def cell: if . == null then "-" else tostring end;
	def kname($id): [.kernels[] | select(.id == $id) | .label][0];
	kname(.baseline) as $bl | kname(.candidate) as $cl
	| 	["row", $bl + " ns/op", $cl + " ns/op", "ratio", "target", ""],
	(.rows[] | [.name, (.baseline_ns | cell), (.candidate_ns | cell), (.ratio | cell),
		"<=" + (.target | tostring),
		(if .met == null then "n/a" elif .met then "met" else "MISSED" end)])
	| @tsv' "$report" | awk -F'\t' '
	function fmt(v, d) { return v ~ /^[0-9][0-9.e+-]*$/ && NR > 1 ? sprintf("%." d "f", v) : v }
	{ c[NR, 1] = $1; c[NR, 2] = fmt($2, 1); c[NR, 3] = fmt($3, 1); c[NR, 4] = fmt($4, 3)
	  c[NR, 5] = $5; c[NR, 6] = $6
	  for (i = 1; i <= 6; i++) if (length(c[NR, i]) > w[i]) w[i] = length(c[NR, i]) }
	END { for (r = 1; r <= NR; r++) {
		line = sprintf("%-" w[1] "s", c[r, 1])
		for (i = 2; i <= 4; i++) line = line sprintf("  %" w[i] "s", c[r, i])
		print line sprintf("  %-" w[5] "s  %s", c[r, 5], c[r, 6]) } }'

echo
echo "granularity: 8 holey extents, extent 3 armed; other extents collapsed (map: C" \
	"collapsed, . not, A armed kept its holes, Z armed zero-filled)"
echo
jq -r '
	["kernel", "path", "collapsed", "map", "detail"],
	(.granularity[] | if .ok | not then [.kernel, .path, "ERROR", "-", .error]
	 elif .path == "madv_collapse" then
		[.kernel, "madv_collapse", "\(.other_collapsed)/\(.other_total)", .map,
		 "one call over the file: \(.madv_errno)"],
		[.kernel, "  per extent", "\(.each_other_collapsed)/\(.other_total)", .each_map,
		 "then one call per extent left"]
	 else [.kernel, .path, "\(.other_collapsed)/\(.other_total)", .map,
		"\(.full_scans) full scans in \(.waited_s) s\(if .timed_out then " (timed out)" else "" end)"]
	 end)
	| @tsv' "$report" | awk -F'\t' '
	{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
	END { for (r = 1; r <= NR; r++) { line = ""
		for (i = 1; i <= 5; i++) line = line sprintf(i < 5 ? "%-" w[i] "s  " : "%s", c[r, i])
		print line } }'
