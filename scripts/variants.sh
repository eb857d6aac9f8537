# shellcheck shell=bash
# The kernel variants, in one place; sourced after lib.sh.
#
#   VARIANT_SOURCE   Debian package whose /usr/src/<package>.tar.xz is built
#   VARIANT_SERIES   the patches applied, in order: space-separated
#                    directories (their *.patch in name order), single
#                    patch files, or git:REV:DIR (DIR as commit REV of this
#                    repository had it, for an earlier version of the
#                    series); "" for none
#   VARIANT_CONFIGS  config fragments (kernel/config/<name>.config) merged
#                    over tinyconfig, in order

VARIANTS=(vanilla patched patched-lockdep vanilla-debug patched-debug
	upstream-6.12 upstream-6.12-fixed bench-vanilla bench-patched series-v1)
# The ones scripts/test.sh builds and boots (CI's time is short): the 6.12
# anchors (upstream's own guard, and it with kernel/6.12/patches) are built
# by scripts/main.sh and scripts/upstream.sh only, the bench-* ones (no
# DEBUG_VM) by scripts/bench.sh.
# The *-debug kernels (lockdep, KASAN, kmemleak, fault injection and the
# test-only park facility) run the race, stress and fault-injection jobs;
# patched-debug also runs the checker, so it stands for the lockdep kernel.
# The plain patched kernel carries only the production patches
# (kernel/6.1/patches), so its build shows they stand without the test-only
# ones. series-v1 is the first version of the series (from git history),
# built only for documented comparisons (docs/stress.md, docs/races.md).
TEST_VARIANTS=(vanilla patched vanilla-debug patched-debug)

declare -A VARIANT_SOURCE=(
	[vanilla]=linux-source-6.1
	[patched]=linux-source-6.1
	[patched-lockdep]=linux-source-6.1
	[vanilla-debug]=linux-source-6.1
	[patched-debug]=linux-source-6.1
	[upstream-6.12]=linux-source-6.12
	[upstream-6.12-fixed]=linux-source-6.12
	[bench-vanilla]=linux-source-6.1
	[bench-patched]=linux-source-6.1
	[series-v1]=linux-source-6.1
)
declare -A VARIANT_SERIES=(
	[vanilla]=""
	[patched]=kernel/6.1/patches
	[patched-lockdep]=kernel/6.1/patches
	[vanilla-debug]="kernel/6.1/test-only/0006-*.patch kernel/6.1/vanilla-park"
	[patched-debug]="kernel/6.1/patches kernel/6.1/test-only"
	[upstream-6.12]=""
	[upstream-6.12-fixed]=kernel/6.12/patches
	[bench-vanilla]=""
	[bench-patched]=kernel/6.1/patches
	[series-v1]=git:48b8742:kernel/6.1/patches
)
declare -A VARIANT_CONFIGS=(
	[vanilla]="base 6.1 vmdebug pager"
	[patched]="base 6.1 pager"
	[patched-lockdep]="base 6.1 vmdebug lockdep"
	[vanilla-debug]="base 6.1 vmdebug lockdep debug"
	[patched-debug]="base 6.1 vmdebug lockdep debug"
	[upstream-6.12]="base 6.12 vmdebug"
	[upstream-6.12-fixed]="base 6.12 vmdebug"
	[bench-vanilla]="base 6.1"
	[bench-patched]="base 6.1"
	[series-v1]="base 6.1 vmdebug"
)

variant_known() { [[ -n ${VARIANT_SOURCE[$1]+set} ]]; }

# Prints the patches of a variant, one path a line, in the order they apply:
# the entries of VARIANT_SERIES in turn, a directory's *.patch in name
# order. vanilla-debug is vanilla plus the test-only park facility with its
# point placed in 6.1's own collapse_file(), so that the race and stress
# jobs can show the bug on a debug kernel like patched-debug. A git:REV:DIR
# entry is extracted into build/series/VARIANT/ first.
variant_patches() {
	local entry rev dir out path
	for entry in ${VARIANT_SERIES[$1]}; do
		if [[ $entry == git:* ]]; then
			rev=${entry#git:} dir=${rev#*:} rev=${rev%%:*}
			out=$CG_BUILD/series/$1
			rm -rf "$out"
			mkdir -p "$out"
			git -C "$CG_ROOT" archive "$rev" "$dir" 2>/dev/null |
				tar -x -C "$out" 2>/dev/null || continue
			entry=${out#"$CG_ROOT"/}/$dir
		fi
		for path in "$CG_ROOT"/$entry; do
			if [[ -d $path ]]; then
				find "$path" -maxdepth 1 -type f -name '*.patch' | sort
			elif [[ -f $path ]]; then
				printf '%s\n' "$path"
			fi
		done
	done
}

# True when the variant applies a series that has at least one patch; a
# variant meant to be patched is pointless (and skipped) while it has none.
variant_buildable() {
	[[ -z ${VARIANT_SERIES[$1]} || -n $(variant_patches "$1") ]]
}

variant_fragment_paths() {
	local name
	for name in ${VARIANT_CONFIGS[$1]}; do
		printf '%s\n' "$CG_ROOT/kernel/config/$name.config"
	done
}

# How results of each variant are labelled in tests and tables.
declare -A VARIANT_LABEL=(
	[vanilla]=vanilla-6.1
	[patched]=patched-6.1
	[patched-lockdep]=patched-6.1+lockdep
	[vanilla-debug]=vanilla-6.1+park+debug
	[patched-debug]=patched-6.1+debug
	[upstream-6.12]=upstream-6.12
	[upstream-6.12-fixed]=upstream-6.12+fix
	[bench-vanilla]=vanilla-6.1
	[bench-patched]=patched-6.1
)
