# shellcheck shell=bash
# Unpacks a Debian kernel source tarball and applies a series with git am,
# as a maintainer applies a mailed series; sourced after lib.sh by
# scripts/kernel-build.sh and scripts/kselftest-build.sh.
#
#   kernel_tree TREE TARBALL LABEL LOG [PATCH...]
#
# TREE is emptied and filled with the tarball's contents. With patches, it
# becomes a git repository first (the pristine tree as one commit; Debian's
# top-level .gitignore ignores everything, hence add -f) and each patch is
# applied with git am, strictly: no fuzz, no offsets beyond what git allows.
# With KERNEL_TREE_PKG and KERNEL_TREE_SRCVER set and scripts/series-apply.sh
# sourced, a patch that does not apply is also named with its failed hunks,
# the Debian version and the last version known good.
# .git is removed afterwards, so that the kernel's version string is the
# tarball's (scripts/setlocalversion would add "+" in a git tree) and the
# tree costs no more disk than before. On a patch that does not apply, dies
# naming the patch and git am's reason; LOG keeps git am's full output.
kernel_tree() {
	local tree=$1 tarball=$2 label=$3 log=$4
	shift 4
	local p reason
	local git=(git -C "$tree" -c user.name="Collapse Guard Developers"
		-c user.email=dev@collapse-guard.invalid -c gc.auto=0
		-c core.autocrlf=false)

	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xf "$tarball" -C "$tree" --strip-components=1
	(($#)) || return 0
	: >"$log"
	{
		"${git[@]}" init -q &&
			"${git[@]}" add -A -f &&
			"${git[@]}" commit -q -m "${tarball##*/} (pristine)"
	} >>"$log" 2>&1 || {
		tail -n 20 "$log" >&2
		die "$label: cannot make a git tree of $tarball (log: $log)"
	}
	for p in "$@"; do
		log "$label: applying ${p#"$CG_ROOT"/} (git am)"
		if ! "${git[@]}" am --quiet "$p" >>"$log" 2>&1; then
			reason=$(grep -E '^(error|fatal|Patch failed)' "$log" | head -n 5)
			"${git[@]}" am --abort >/dev/null 2>&1 || true
			# Which hunks no longer apply, against which Debian
			# version, and the last one known good (series-apply.sh).
			if [[ -n ${KERNEL_TREE_PKG:-} ]] && declare -F apply_patch >/dev/null; then
				apply_patch "$tree" "$p" "$KERNEL_TREE_PKG" \
					"${KERNEL_TREE_SRCVER:-unknown}" "$log.hunks" --dry-run || true
			fi
			die "$label: ${p#"$CG_ROOT"/} does not apply with git am to ${tarball##*/}:
${reason:-$(tail -n 5 "$log")}
(full output: $log)"
		fi
	done
	rm -rf "$tree/.git"
}
