#!/usr/bin/env bash
# Builds the kernel's own mm selftests that we run as a peer check
# (khugepaged, userfaultfd) from the tools/testing/selftests/vm of
# linux-source-6.1, statically, the way their Makefile would:
#
#   scripts/selftests-build.sh
#
# Results: build/selftests/bin/{khugepaged,userfaultfd}, and
# build/selftests/selftests.cpio, an uncompressed newc archive holding them
# in /opt/selftests/, for scripts/boot.sh's BOOT_EXTRA_INITRD. Skipped while
# the source version and this script are unchanged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SELFTESTS=(khugepaged userfaultfd)
pkg=linux-source-6.1
tarball=/usr/src/$pkg.tar.xz
[[ -f $tarball ]] || die "$tarball missing: run scripts/setup.sh" 2
srcver=$(dpkg-query -W -f='${source:Version}' "$pkg")
out=$CG_BUILD/selftests
archive=$out/selftests.cpio
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

stamp=$(
	printf 'source %s %s\n' "$pkg" "$srcver"
	cat "$CG_ROOT/scripts/selftests-build.sh"
) && stamp=$(sha256sum <<<"$stamp" | cut -d' ' -f1)
if [[ -f $archive && -f $out/inputs.sha256 && $(<"$out/inputs.sha256") == "$stamp" ]]; then
	log "up to date ($archive)"
	exit 0
fi

start=$(now)
rm -rf "${out:?}/src" "${out:?}/bin" "${out:?}/stage" "$archive"
mkdir -p "$out/src" "$out/bin" "$out/stage/opt/selftests"
log "extracting tools/testing/selftests/vm from $tarball ($srcver)"
tar -xf "$tarball" -C "$out/src" --strip-components=1 --wildcards \
	'*/tools/testing/selftests/vm/*' '*/tools/testing/selftests/kselftest.h'
dir=$out/src/tools/testing/selftests/vm
for t in "${SELFTESTS[@]}"; do
	log "building $t"
	(cd "$dir" && gcc -static -I.. -pthread -o "$out/bin/$t" "$t.c" vm_util.c -lrt) ||
		die "$t does not build from $pkg $srcver"
	install -m 0755 "$out/bin/$t" "$out/stage/opt/selftests/$t"
done
printf '%s\n' "$srcver" >"$out/stage/opt/selftests/source-version"

(cd "$out/stage" && find . -mindepth 1 -print0 | sort -z |
	cpio --null --create --format=newc --owner=0:0 --quiet) >"$archive.tmp"
mv "$archive.tmp" "$archive"
printf '%s\n' "$srcver" >"$out/source-version"
printf '%s\n' "$stamp" >"$out/inputs.sha256"
log "built ${SELFTESTS[*]} from $pkg $srcver in $(($(now) - start)) s ($archive)"
