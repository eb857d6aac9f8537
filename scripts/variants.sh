# shellcheck shell=bash
# The kernel variants, in one place; sourced after lib.sh.
#
#   VARIANT_SOURCE   Debian package whose /usr/src/<package>.tar.xz is built
#   VARIANT_SERIES   directory of the patch series applied, or "" for none
#   VARIANT_CONFIGS  config fragments (kernel/config/<name>.config) merged
#                    over tinyconfig, in order

VARIANTS=(vanilla patched patched-lockdep vanilla-debug patched-debug
	upstream-6.12 upstream-6.12-fixed bench-vanilla bench-patched)
# The ones scripts/test.sh builds and boots (CI's time is short): the 6.12
# anchors (upstream's own fix, and it with our boundary fix) are built by
# scripts/main.sh only, the bench-* ones (no DEBUG_VM) by scripts/bench.sh.
# The *-debug kernels (lockdep, KASAN, kmemleak, fault injection and the park
# facility of patch 0001) run the race, stress and fault-injection jobs;
# patched-debug also runs the checker, so it stands for the lockdep kernel.
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
)
declare -A VARIANT_SERIES=(
	[vanilla]=""
	[patched]=kernel/6.1/patches
	[patched-lockdep]=kernel/6.1/patches
	[vanilla-debug]=kernel/6.1/patches
	[patched-debug]=kernel/6.1/patches
	[upstream-6.12]=""
	[upstream-6.12-fixed]=kernel/6.12/patches
	[bench-vanilla]=""
	[bench-patched]=kernel/6.1/patches
)
declare -A VARIANT_CONFIGS=(
	[vanilla]="base 6.1 vmdebug"
	[patched]="base 6.1"
	[patched-lockdep]="base 6.1 vmdebug lockdep"
	[vanilla-debug]="base 6.1 vmdebug lockdep debug"
	[patched-debug]="base 6.1 vmdebug lockdep debug"
	[upstream-6.12]="base 6.12 vmdebug"
	[upstream-6.12-fixed]="base 6.12 vmdebug"
	[bench-vanilla]="base 6.1"
	[bench-patched]="base 6.1"
)

variant_known() { [[ -n ${VARIANT_SOURCE[$1]+set} ]]; }

# Which patches of the series a variant applies (a find -name pattern):
# vanilla-debug is vanilla plus only the park facility of patch 0001, so that
# the race and stress jobs can show the bug on the same debug kernel.
declare -A VARIANT_PATCH_GLOB=(
	[vanilla-debug]='0001-*.patch'
)

# Prints the patches of a variant's series, one path a line, in name order.
variant_patches() {
	local dir=${VARIANT_SERIES[$1]}
	[[ -n $dir && -d $CG_ROOT/$dir ]] || return 0
	find "$CG_ROOT/$dir" -maxdepth 1 -type f \
		-name "${VARIANT_PATCH_GLOB[$1]:-*.patch}" | sort
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
