#!/usr/bin/env bash
# Builds the kselftest that kernel/6.12/patches adds,
# tools/testing/selftests/mm/uffd-collapse, as a static program:
#
#   scripts/kselftest-build.sh
#
# The tree is Debian's linux-source-6.12 with the series applied by git am
# (scripts/kernel-tree.sh), in build/src/kselftest-6.12; no kernel is built.
# The program is built by that directory's own Makefile, as upstream builds
# it: uffd-common.c, vm_util.c and thp_settings.c linked in, kselftest.h
# from tools/testing/selftests, and the tree's UAPI headers (make headers,
# usr/include, the Makefile's KHDR_INCLUDES) rather than the host's, which
# lack 6.12's userfaultfd definitions; EXTRA_CFLAGS=-static. The binary does
# not depend on the running kernel, so the same one runs on 6.1 and 6.12.
# Results: build/kselftest/uffd-collapse, and build/initramfs/kselftest.cpio.gz
# (usr/local/bin/uffd-collapse, for scripts/boot.sh's BOOT_EXTRA_INITRD).
# Skipped while the inputs (source version, series, this script) are
# unchanged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"
. "$CG_ROOT/scripts/kernel-tree.sh"

test_name=uffd-collapse
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
[[ -f $tarball ]] || die "$tarball missing: run scripts/setup.sh" 2
srcver=$(dpkg-query -W -f='${source:Version}' "$pkg")
# The series of the fixed 6.12 variant: the fix and the test.
mapfile -t patches < <(variant_patches upstream-6.12-fixed)
((${#patches[@]})) || die "${VARIANT_SERIES[upstream-6.12-fixed]} has no *.patch" 2

tree=$CG_BUILD/src/kselftest-6.12
out=$CG_BUILD/kselftest
archive=$CG_BUILD/initramfs/kselftest.cpio.gz
mkdir -p "$out" "$CG_BUILD/initramfs"
exec 9>"$out/.lock"
flock 9

stamp=$(
	printf 'source %s %s\n' "$pkg" "$srcver"
	for f in "${patches[@]}" "$CG_ROOT/scripts/kselftest-build.sh" \
		"$CG_ROOT/scripts/kernel-tree.sh"; do
		printf '== %s\n' "${f#"$CG_ROOT"/}"
		cat "$f"
	done | sha256sum | cut -d' ' -f1
)
if [[ -x $out/$test_name && -f $archive && -f $out/inputs.sha256 &&
	$(<"$out/inputs.sha256") == "$stamp" ]]; then
	log "up to date ($out/$test_name)"
	exit 0
fi

start=$(now)
rm -rf "${out:?}/$test_name" "$out/inputs.sha256" "$archive" "$out/obj"
mkdir -p "$out/obj"
log "unpacking $tarball ($srcver)"
kernel_tree "$tree" "$tarball" kselftest "$out/patch.log" "${patches[@]}"
dir=$tree/tools/testing/selftests/mm
[[ -f $dir/$test_name.c ]] ||
	die "the series adds no tools/testing/selftests/mm/$test_name.c"

log "building $test_name (log: $out/build.log)"
{
	make -C "$tree" ARCH=x86_64 headers &&
		make -C "$dir" EXTRA_CFLAGS=-static OUTPUT="$out/obj" \
			"$out/obj/$test_name"
} >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	die "$test_name: build failed (log: $out/build.log)"
}
[[ $(readelf -l "$out/obj/$test_name") != *interpreter* ]] ||
	die "$out/obj/$test_name is not static"
if grep -E 'warning:' "$out/build.log" | grep -v 'statically linked' >&2; then
	die "$test_name: the build has warnings (log: $out/build.log)"
fi
install -m 0755 "$out/obj/$test_name" "$out/$test_name"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -D -m 0755 "$out/$test_name" "$stage/usr/local/bin/$test_name"
(cd "$stage" && find . -print0 | sort -z |
	cpio --null --create --format=newc --owner=0:0 --quiet) |
	gzip -n -9 >"$archive"
printf '%s\n' "$stamp" >"$out/inputs.sha256"
log "built $out/$test_name and $archive in $(($(now) - start)) s"
