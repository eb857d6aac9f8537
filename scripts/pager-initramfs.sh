#!/usr/bin/env bash
# Builds build/initramfs/qemu.cpio: Debian's QEMU for the real-pager job
# (scripts/guest/pager.sh, docs/real-pager.md) as an extra initramfs archive that
# only that job's boots append (scripts/vm-pager.sh sets BOOT_EXTRA_INITRD):
# qemu-system-x86_64, the shared libraries it and its TCG accelerator module
# load (from ldd), the dynamic loader, and the firmware a paused `pc` machine
# reads, each at its host path. Uncompressed: the guest then unpacks it
# without spending TCG time on gunzip. Skipped while the inputs are unchanged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

qemu=/usr/bin/qemu-system-x86_64
modules=(/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so)
firmware=(/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin)
out=$CG_BUILD/initramfs
image=$out/qemu.cpio

for f in "$qemu" "${modules[@]}" "${firmware[@]}"; do
	[[ -e $f ]] || die "$f missing: run scripts/setup.sh (package qemu-system-x86)" 2
done
mkdir -p "$out"
exec 9>"$out/.qemu.lock"
flock 9

# Every file of the archive: the programs, then what ldd says they load
# ("name => /path (addr)" lines and the loader's own "/path (addr)" line).
files=("$qemu" "${modules[@]}" "${firmware[@]}")
mapfile -t libs < <(for f in "$qemu" "${modules[@]}"; do ldd "$f"; done |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
((${#libs[@]})) || die "ldd found no libraries for $qemu" 1
files+=("${libs[@]}")

stamp=$(
	for f in "${files[@]}" "$CG_ROOT/scripts/pager-initramfs.sh"; do
		printf '== %s\n' "$f"
		sha256sum <"$f"
	done | sha256sum | cut -d' ' -f1
)
if [[ -f $image && -f $out/qemu.sha256 && $(<"$out/qemu.sha256") == "$stamp" ]]; then
	log "up to date ($image)"
	exit 0
fi

stage=$out/qemu-stage
rm -rf "$stage"
for f in "${files[@]}"; do
	mkdir -p "$stage$(dirname "$f")"
	# Dereferenced: the guest gets plain files where the host has links.
	cp -L "$f" "$stage$f"
done
(cd "$stage" && find . -mindepth 1 -print0 | sort -z |
	cpio --null --create --format=newc --owner=0:0 --quiet) >"$image.tmp"
mv "$image.tmp" "$image"
printf '%s\n' "$stamp" >"$out/qemu.sha256"
rm -rf "$stage"
log "built $image ($(du -h "$image" | cut -f1); ${#libs[@]} libraries; $($qemu --version | head -n 1))"
