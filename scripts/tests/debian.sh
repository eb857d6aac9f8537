# shellcheck shell=bash
# The touched objects under Debian 12's own configuration and the matrix
# (scripts/debian-objects.sh; docs/debian.md), vanilla and with the
# production series, W=1: the series must add no warning and every row must
# build (scripts/test.sh, sourced; uses $T).

test_debian_objects() {
	local summary=$CG_BUILD/debian/summary.txt row line
	step "Debian's configuration and matrix: touched objects build with W=1, no new warning (scripts/debian-objects.sh)" \
		"$T/debian-objects.log" "$CG_ROOT/scripts/debian-objects.sh" || true
	[[ -f $summary ]] || return 0
	tap_note "$(grep -v '^#' "$summary")"
	for row in debian uffd-n shmem-n thp-n; do
		line=$(grep -E "^$row: " "$summary" || true)
		tap_result "Debian config row $row: no new W=1 warning with the series" \
			"$([[ $line == "$row: no new warning with the series" ]] || echo "${line:-no result for $row}")"
	done
}
