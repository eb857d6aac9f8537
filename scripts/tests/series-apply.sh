# shellcheck shell=bash
# When Debian moves under the series (scripts/test.sh, sourced; uses $T):
# kernel-build's apply step (scripts/series-apply.sh) is fed a copy of the
# first production patch whose context no longer matches the real vanilla
# tree (one context line of one hunk changed, the innermost one before the
# hunk's first change, which patch's fuzz cannot skip), with --dry-run. Its
# message must name the patch, the file and hunk, the tree's Debian version
# and the last known good version. The unchanged patch must apply (so the
# failure comes from the changed line).

# SERIES_TEST_TREE: an unpacked, unpatched linux-source-6.1 tree.
SERIES_TEST_TREE=${SERIES_TEST_TREE:-$CG_BUILD/src/vanilla}

# break_context PATCH OUT: writes PATCH with one context line changed to OUT
# and prints "FILE N" (the file and the hunk's number within that file):
# the first hunk after the patch's first one with at least three context
# lines before its first change (fuzz drops at most two).
break_context() {
	awk -v out="$2" '
		function flush(   i) { for (i = 1; i <= nb; i++) print buf[i] > out; nb = 0 }
		/^\+\+\+ / { f = $2; sub(/^b\//, "", f); h = 0 }
		/^@@ / { flush(); g++; h++; inhunk = 1; lead = 0; buffering = !done && g >= 2
			if (buffering) { buf[++nb] = $0; next } }
		inhunk && buffering {
			if (/^ /) { lead++; buf[++nb] = $0; next }
			if ((/^[-+]/) && lead >= 3 && buf[nb] != " ") {
				buf[nb] = buf[nb] " /* moved by a later upload */"
				done = 1; printf "%s %d\n", f, h
			}
			buffering = 0; flush()
		}
		{ print > out }
		END { flush() }' "$1"
}

test_series_apply() {
	local first tree=$SERIES_TEST_TREE srcver pkg=linux-source-6.1 dir=$T/series-apply
	local broken where file n out missing="" kg want
	local -a series
	mapfile -t series < <(variant_patches patched)
	first=${series[0]:-}
	if [[ -z $first ]]; then
		tap_skip "series apply: a patch that does not apply is named" "kernel/6.1/patches has no *.patch"
		return
	fi
	if [[ ! -f $tree/Makefile || ! -f $tree/mm/khugepaged.c ]]; then
		tap_not_ok "series apply: a patch that does not apply is named" \
			"no unpacked vanilla tree at $tree (kernel vanilla not built?)"
		return
	fi
	srcver=$(cat "$CG_BUILD/kernels/vanilla/source-version" 2>/dev/null ||
		dpkg-query -W -f='${source:Version}' "$pkg")
	mkdir -p "$dir"
	out=$( (apply_patch "$tree" "$first" "$pkg" "$srcver" "$dir/good.log" --dry-run) 2>&1) ||
		out=${out:-apply_patch failed}
	tap_result "series apply: ${first##*/} applies to the vanilla tree (dry run)" "$out"

	broken=$dir/${first##*/}
	where=$(break_context "$first" "$broken")
	file=${where% *} n=${where#* }
	if [[ -z $where ]] || cmp -s "$first" "$broken"; then
		tap_not_ok "series apply: a patch that does not apply is named" \
			"found no hunk with three leading context lines in ${first##*/}"
		return
	fi
	out=$( (apply_patch "$tree" "$broken" "$pkg" "$srcver" "$dir/broken.log" --dry-run) 2>&1) &&
		out="apply_patch succeeded on the changed patch
$out"
	printf '%s\n' "$out" >"$dir/message.txt"
	kg=$(known_good "$pkg")
	for want in "${broken#"$CG_ROOT"/} does not apply" "$file: hunk #$n FAILED" \
		"$pkg $srcver" "last known good: $pkg $kg"; do
		grep -qF -- "$want" <<<"$out" || missing+="the message lacks '$want'"$'\n'
	done
	[[ $kg != "none recorded" ]] || missing+="kernel/6.1/known-good records no version"$'\n'
	tap_result "series apply: a changed context line in ${first##*/} ($file hunk #$n) is reported with patch, hunk, Debian version and last known good" \
		"${missing:+$missing$out}"
	tap_note "$(head -n 3 <<<"$out")"
}
