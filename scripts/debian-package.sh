#!/usr/bin/env bash
# Builds installable Debian kernel packages (linux-image-*.deb and
# linux-headers-*.deb, make bindeb-pkg) of Debian 12's 6.1 with the
# production part of the series (kernel/6.1/patches; not the test-only
# patches) and Debian's own configuration (linux-config-6.1,
# config.amd64_none_amd64):
#
#   sudo bash scripts/debian-package.sh [--no-debug-info] [--jobs N] [--objects-only]
#
# --no-debug-info builds without debug information (DEBUG_INFO_NONE, so no
# BTF and no -dbg package; much shorter and smaller). --objects-only stops
# after the configuration and compiles the objects the series touches
# instead of the packages (minutes, to check the steps before the long
# build). Without --no-debug-info the
# configuration is Debian's, except that Debian's signing key files, which
# the source package does not carry, are not named. The packages land in
# build/debian-package/ (the tree in build/debian-package/linux-source-6.1).
# Their version is the Debian source version plus "+cg1", their kernel
# release ends in "-cg" (LOCALVERSION), so they install next to Debian's own
# kernel. Not part of scripts/test.sh: a full build takes hours on two
# cores. README.md, "Installing the fix on Debian 12", says how to install.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"
. "$CG_ROOT/scripts/series-apply.sh"

debug_info=1 jobs=$(nproc) objects_only=0
while (($#)); do
	case $1 in
	--no-debug-info) debug_info=0 ;;
	--objects-only) objects_only=1 ;;
	--jobs) jobs=${2:?--jobs needs a number} && shift ;;
	*) die "usage: $0 [--no-debug-info] [--jobs N] [--objects-only]" 2 ;;
	esac
	shift
done
need_root

pkg=linux-source-6.1
needed=(linux-source-6.1 linux-config-6.1 build-essential bc bison flex
	libelf-dev libssl-dev rsync cpio kmod dpkg-dev dwarves xz-utils patch)
missing=()
for p in "${needed[@]}"; do
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true) == installed ]] ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends "${missing[@]}"
fi

srcver=$(dpkg-query -W -f='${source:Version}' "$pkg")
mapfile -t patches < <(variant_patches patched)
((${#patches[@]})) || die "kernel/6.1/patches has no *.patch" 2
out=$CG_BUILD/debian-package
tree=$out/linux-source-6.1
rm -rf "$tree"
mkdir -p "$tree"
start=$(now)
log "unpacking /usr/src/$pkg.tar.xz ($srcver)"
tar -xf "/usr/src/$pkg.tar.xz" -C "$tree" --strip-components=1
for p in "${patches[@]}"; do
	log "applying ${p#"$CG_ROOT"/}"
	apply_patch "$tree" "$p" "$pkg" "$srcver" "$out/patch.log" ||
		die "the series stops at ${p#"$CG_ROOT"/} (above)"
done

log "configuring: Debian's config.amd64_none_amd64, olddefconfig"
xz -dc /usr/src/linux-config-6.1/config.amd64_none_amd64.xz >"$tree/.config"
cfg=("$tree/scripts/config" --file "$tree/.config")
"${cfg[@]}" --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	--set-str LOCALVERSION "-cg"
if ((debug_info == 0)); then
	"${cfg[@]}" --disable DEBUG_INFO --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
		--disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5 \
		--disable DEBUG_INFO_BTF --enable DEBUG_INFO_NONE
fi
make -C "$tree" olddefconfig >"$out/config.log" 2>&1 ||
	die "olddefconfig failed (log: $out/config.log)"

if ((objects_only)); then
	objs=(mm/khugepaged.o mm/shmem.o mm/mmap.o mm/mremap.o fs/userfaultfd.o kernel/fork.o)
	log "compiling ${objs[*]} (log: $out/build.log)"
	make -C "$tree" -j"$jobs" "${objs[@]}" >"$out/build.log" 2>&1 || {
		tail -n 40 "$out/build.log" >&2
		die "the touched objects do not build (log: $out/build.log)"
	}
	log "the touched objects built in $(($(now) - start)) s (no packages: --objects-only)"
	exit 0
fi
log "make bindeb-pkg -j$jobs (log: $out/build.log); this takes hours on 2 CPUs"
make -C "$tree" -j"$jobs" bindeb-pkg KDEB_PKGVERSION="$srcver+cg1" \
	KBUILD_BUILD_USER=collapse-guard KBUILD_BUILD_HOST=build >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	die "bindeb-pkg failed (log: $out/build.log)"
}
log "built in $(($(now) - start)) s:"
ls -1 "$out"/*.deb >&2
