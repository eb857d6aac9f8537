# shellcheck shell=bash
# Applying a patch of a series to a Debian kernel tree, and saying exactly
# what failed when Debian's source moved under it; sourced after lib.sh.
#
#   apply_patch TREE PATCH PKG SRCVER LOG [--dry-run]
#
# Applies PATCH (-p1) to TREE and succeeds, or fails with one message on
# stderr naming the patch, each hunk that failed (file, hunk number, the line
# patch looked at and the hunk's @@ header), the source package and version
# of TREE, and the last version of that package the series is known to apply
# to and pass on (kernel/<series>/known-good, see known_good). patch's own
# output is kept in LOG. --dry-run changes nothing in TREE.

# known_good_file PKG: where the last good version of PKG is recorded
# (linux-source-6.1 -> kernel/6.1/known-good).
known_good_file() {
	printf '%s/kernel/%s/known-good\n' "$CG_ROOT" "${1#linux-source-}"
}

# known_good PKG: the recorded version (first line that is not a comment),
# or "none recorded".
known_good() {
	local f ver=
	f=$(known_good_file "$1")
	[[ -f $f ]] && ver=$(grep -v -E '^[[:space:]]*(#|$)' "$f" | head -n 1 || true)
	printf '%s\n' "${ver:-none recorded}"
}

# hunk_header PATCH FILE N: the @@ line of the N-th hunk of FILE in PATCH.
hunk_header() {
	awk -v file="$2" -v n="$3" '
		/^\+\+\+ / { f = $2; sub(/^b\//, "", f); sub(/\t.*/, "", f); h = 0; next }
		/^@@ / && f == file { if (++h == n) { print; exit } }' "$1"
}

# patch_failures PATCH LOG: one line per failure in patch's output LOG.
patch_failures() {
	local p=$1 logf=$2 file="" line n at
	while IFS= read -r line; do
		case $line in
		"patching file "* | "checking file "*)
			file=${line#* file } file=${file#\'} file=${file%\'}
			;;
		"Hunk #"*" FAILED at "*)
			n=${line#Hunk #} n=${n%% *}
			at=${line##* FAILED at } at=${at%%[!0-9]*}
			printf '  %s: hunk #%s FAILED (at line %s): %s\n' "$file" "$n" "$at" \
				"$(hunk_header "$p" "$file" "$n")"
			;;
		"can't find file to patch"*)
			printf '  a file the patch changes is missing from the tree\n'
			;;
		*"Reversed (or previously applied) patch detected"*)
			printf '  %s: already applied, or applied in reverse (Debian may carry the change now)\n' "$file"
			;;
		esac
	done <"$logf"
}

apply_patch() {
	local tree=$1 p=$2 pkg=$3 srcver=$4 logf=$5 rel why kg
	local -a opts=(-d "$tree" -p1 --forward --batch --no-backup-if-mismatch)
	[[ ${6:-} != --dry-run ]] || opts+=(--dry-run)
	patch "${opts[@]}" <"$p" >"$logf" 2>&1 && return 0
	rel=${p#"$CG_ROOT"/}
	why=$(patch_failures "$p" "$logf")
	kg=$(known_good_file "$pkg")
	log "error: $rel does not apply to $pkg $srcver (last known good: $pkg $(known_good "$pkg"), recorded in ${kg#"$CG_ROOT"/}):
${why:-  (no failed hunk named by patch; its output follows)}
patch's output ($logf):
$(sed 's/^/  | /' "$logf")"
	return 1
}
