# shellcheck shell=bash
# shellcheck disable=SC2034 # the arrays are for the scripts that source this
# The kernel variants, in one place; sourced after lib.sh. One row a variant:
#
#   variant_row NAME SOURCE SERIES CONFIGS [LABEL]
#
#   SOURCE   Debian package whose /usr/src/<package>.tar.xz is built
#   SERIES   the patches applied, in order: space-separated directories
#            (their *.patch in name order), single patch files, or
#            git:REV:DIR (DIR as commit REV of this repository had it, for
#            an earlier version of the series); "" for none
#   CONFIGS  config fragments (kernel/config/<name>.config) merged over
#            tinyconfig, in order
#   LABEL    how results of the variant are labelled in tests and tables
#
# The rows fill VARIANTS (in row order) and the arrays VARIANT_SOURCE,
# VARIANT_SERIES, VARIANT_CONFIGS and VARIANT_LABEL indexed by name.
# scripts/kernel-build.sh hashes the SERIES and CONFIGS strings into the
# build stamp: changing one byte of them rebuilds that kernel.

VARIANTS=()
declare -A VARIANT_SOURCE=() VARIANT_SERIES=() VARIANT_CONFIGS=() VARIANT_LABEL=()

variant_row() {
	(($# == 4 || $# == 5)) || die "variants.sh: variant_row $1: want NAME SOURCE SERIES CONFIGS [LABEL]" 2
	[[ -z ${VARIANT_SOURCE[$1]+set} ]] || die "variants.sh: variant $1 defined twice" 2
	VARIANTS+=("$1")
	VARIANT_SOURCE[$1]=$2
	VARIANT_SERIES[$1]=$3
	VARIANT_CONFIGS[$1]=$4
	(($# < 5)) || VARIANT_LABEL[$1]=$5
}

# The *-debug kernels (lockdep, KASAN, kmemleak, fault injection and the
# test-only park facility) run the race, stress and fault-injection jobs;
# patched-debug also runs the checker, so it stands for the lockdep kernel.
# The plain patched kernel carries only the production patches
# (kernel/6.1/patches), so its build shows they stand without the test-only
# ones. vanilla-debug is vanilla plus the test-only park facility with its
# point placed in 6.1's own collapse_file() (kernel/6.1/vanilla-park/), so
# that the race and stress jobs can show the bug on a debug kernel like
# patched-debug. The 6.12 anchors are upstream's own guard, and it with
# kernel/6.12/patches. The bench-* ones have no DEBUG_VM. series-v1 is the
# first version of the series (from git history), built only for documented
# comparisons (docs/stress.md, docs/races.md).
#           NAME                SOURCE             SERIES                                                     CONFIGS                          LABEL
variant_row vanilla             linux-source-6.1   ""                                                         "base 6.1 vmdebug pager"         vanilla-6.1
variant_row patched             linux-source-6.1   kernel/6.1/patches                                         "base 6.1 pager"                 patched-6.1
variant_row patched-lockdep     linux-source-6.1   kernel/6.1/patches                                         "base 6.1 vmdebug lockdep"       patched-6.1+lockdep
variant_row vanilla-debug       linux-source-6.1   "kernel/6.1/test-only/0006-*.patch kernel/6.1/vanilla-park" "base 6.1 vmdebug lockdep debug" vanilla-6.1+park+debug
variant_row patched-debug       linux-source-6.1   "kernel/6.1/patches kernel/6.1/test-only"                  "base 6.1 vmdebug lockdep debug" patched-6.1+debug
variant_row upstream-6.12       linux-source-6.12  ""                                                         "base 6.12 vmdebug"              upstream-6.12
variant_row upstream-6.12-fixed linux-source-6.12  kernel/6.12/patches                                        "base 6.12 vmdebug"              upstream-6.12+fix
variant_row bench-vanilla       linux-source-6.1   ""                                                         "base 6.1"                       vanilla-6.1
variant_row bench-patched       linux-source-6.1   kernel/6.1/patches                                         "base 6.1"                       patched-6.1
variant_row series-v1           linux-source-6.1   git:48b8742:kernel/6.1/patches                             "base 6.1 vmdebug"

# The ones scripts/test.sh builds and boots (CI's time is short): the 6.12
# anchors are built by scripts/main.sh and scripts/upstream.sh only, the
# bench-* ones by scripts/bench.sh.
TEST_VARIANTS=(vanilla patched vanilla-debug patched-debug)

variant_known() { [[ -n ${VARIANT_SOURCE[$1]+set} ]]; }

# Prints the patches of a variant, one path a line, in the order they apply:
# the entries of VARIANT_SERIES in turn, a directory's *.patch in name
# order. A git:REV:DIR entry is extracted into build/series/VARIANT/ first.
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
