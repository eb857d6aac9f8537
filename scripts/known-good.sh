#!/usr/bin/env bash
# Records the Debian kernel source versions the last full test run passed on
# as the last known good ones (kernel/<series>/known-good, e.g.
# kernel/6.1/known-good), which scripts/kernel-build.sh names when the series
# stops applying to a later upload:
#
#   scripts/known-good.sh           show what is recorded and what would be
#   scripts/known-good.sh --record  write it (then commit the file)
#
# scripts/test.sh writes build/test/passed-sources ("PACKAGE VERSION" lines)
# only when every test passed; this script refuses without it. CI does not
# write into the repository: recording is a step a maintainer takes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/series-apply.sh"

record=0
case ${1:-} in
--record) record=1 ;;
"") ;;
*) die "usage: $0 [--record]" 2 ;;
esac
passed=$CG_BUILD/test/passed-sources
[[ -s $passed ]] || die "$passed missing: the last scripts/test.sh run did not pass (or did not run)" 1

while read -r pkg ver; do
	f=$(known_good_file "$pkg")
	old=$(known_good "$pkg")
	if [[ $old == "$ver" ]]; then
		log "$pkg: $ver already recorded in ${f#"$CG_ROOT"/}"
	elif ((record)); then
		[[ -d ${f%/*} ]] || die "${f%/*} missing: no series for $pkg" 1
		printf '# Last %s version (Debian source version) the series applied to\n# and scripts/test.sh passed on; recorded by scripts/known-good.sh.\n%s\n' \
			"$pkg" "$ver" >"$f"
		log "$pkg: recorded $ver in ${f#"$CG_ROOT"/} (was $old); commit it"
	else
		log "$pkg: last run passed on $ver; recorded: $old (--record writes it)"
	fi
done <"$passed"
