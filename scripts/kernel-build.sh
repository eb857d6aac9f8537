#!/usr/bin/env bash
# Builds one kernel variant (see scripts/variants.sh):
#
#   scripts/kernel-build.sh VARIANT
#
# Unpacks the Debian kernel source into build/src/VARIANT, applies the
# variant's patch series with git am (scripts/kernel-tree.sh; a patch that
# does not apply is named with its failed hunks, the Debian version and the
# last known good one, scripts/series-apply.sh), configures tinyconfig + the
# variant's fragments, checks that every fragment line made it into the
# final .config, and builds bzImage. Results:
# build/kernels/VARIANT/{bzImage,config,inputs.sha256,source-version,
# build.log,patch.log}. Nothing is rebuilt while the inputs' stamp (source
# version, series, fragments, this script and kernel-tree.sh) is unchanged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"
. "$CG_ROOT/scripts/series-apply.sh"
. "$CG_ROOT/scripts/kernel-tree.sh"

[[ $# -eq 1 ]] || die "usage: $0 VARIANT (one of: ${VARIANTS[*]})" 2
variant=$1
variant_known "$variant" || die "unknown variant '$variant' (known: ${VARIANTS[*]})" 2

pkg=${VARIANT_SOURCE[$variant]}
tarball=/usr/src/$pkg.tar.xz
[[ -f $tarball ]] || die "$tarball missing: run scripts/setup.sh" 2
srcver=$(dpkg-query -W -f='${source:Version}' "$pkg")
mapfile -t patches < <(variant_patches "$variant")
mapfile -t fragments < <(variant_fragment_paths "$variant")
if [[ -n ${VARIANT_SERIES[$variant]} && ${#patches[@]} -eq 0 ]]; then
	die "variant $variant: ${VARIANT_SERIES[$variant]} has no *.patch" 2
fi

tree=$CG_BUILD/src/$variant
out=$CG_BUILD/kernels/$variant

# One build of a variant at a time (a second caller waits, then finds it
# up to date).
mkdir -p "$CG_BUILD/kernels"
exec 9>"$CG_BUILD/kernels/.$variant.lock"
flock 9

# The stamp covers every input that changes the image (and nothing else of
# scripts/variants.sh, so that adding a variant rebuilds no other).
stamp=$(
	printf 'source %s %s\nseries %s\nconfigs %s\n' "$pkg" "$srcver" \
		"${VARIANT_SERIES[$variant]}" "${VARIANT_CONFIGS[$variant]}"
	for f in "${patches[@]}" "${fragments[@]}" "$CG_ROOT/scripts/kernel-build.sh" \
		"$CG_ROOT/scripts/kernel-tree.sh"; do
		printf '== %s\n' "${f#"$CG_ROOT"/}"
		cat "$f"
	done | sha256sum | cut -d' ' -f1
)
if [[ -f $out/bzImage && -f $out/inputs.sha256 &&
	$(<"$out/inputs.sha256") == "$stamp" ]]; then
	log "$variant: up to date ($out/bzImage)"
	exit 0
fi

start=$(now)
rm -rf "$tree" "$out"
mkdir -p "$tree" "$out"
log "$variant: unpacking $tarball ($srcver)"
KERNEL_TREE_PKG=$pkg KERNEL_TREE_SRCVER=$srcver \
	kernel_tree "$tree" "$tarball" "$variant" "$out/patch.log" "${patches[@]}"

kmake() {
	make -C "$tree" ARCH=x86_64 KBUILD_BUILD_USER=collapse-guard \
		KBUILD_BUILD_HOST=build "$@"
}

# check_fragment FRAGMENT CONFIG: every CONFIG_X=v and "# CONFIG_X is not
# set" line of FRAGMENT must hold in CONFIG. Prints the ones that don't.
check_fragment() {
	local line key want got
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) key=${line%%=*} want=$line ;;
		"# CONFIG_"*" is not set") key=${line#\# } key=${key%% *} want= ;;
		*) continue ;;
		esac
		got=$(grep -E "^$key=" "$2" || true)
		[[ $got == "$want" ]] || printf '  %s (final .config: %s)\n' \
			"${line}" "${got:-not set}"
	done <"$1"
}

log "$variant: configuring (tinyconfig + ${VARIANT_CONFIGS[$variant]})"
{
	kmake tinyconfig
	(cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config \
		"${fragments[@]}")
	kmake olddefconfig
} >"$out/config.log" 2>&1 || {
	tail -n 40 "$out/config.log" >&2
	die "$variant: configuration failed (log: $out/config.log)"
}
bad=$(for f in "${fragments[@]}"; do check_fragment "$f" "$tree/.config"; done)
if [[ -n $bad ]]; then
	die "$variant: options not set as requested (missing dependencies?):
$bad"
fi

jobs=$(nproc)
log "$variant: building bzImage with -j$jobs (log: $out/build.log)"
kmake -j"$jobs" bzImage >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	die "$variant: build failed (log: $out/build.log)"
}

cp "$tree/arch/x86/boot/bzImage" "$out/bzImage"
cp "$tree/.config" "$out/config"
printf '%s\n' "$srcver" >"$out/source-version"
printf '%s\n' "$stamp" >"$out/inputs.sha256"
log "$variant: built in $(($(now) - start)) s"
