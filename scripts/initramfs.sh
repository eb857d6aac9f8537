#!/usr/bin/env bash
# Builds the base initramfs build/initramfs/base.cpio.gz (cpio newc, gzip):
# busybox-static with its applet links, /init from scripts/guest/init, and
# every static program of build/bin-static/ in /usr/local/bin. The job of a
# boot is a second archive that scripts/boot.sh appends. Skipped while the
# inputs are unchanged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

busybox=/bin/busybox
[[ -x $busybox && $(readelf -l "$busybox") != *interpreter* ]] ||
	die "$busybox is missing or not static: run scripts/setup.sh" 2
init=$CG_ROOT/scripts/guest/init
out=$CG_BUILD/initramfs
image=$out/base.cpio.gz
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

mapfile -t programs < <(find "$CG_BUILD/bin-static" -maxdepth 1 -type f \
	-perm -u+x 2>/dev/null | sort)
((${#programs[@]})) || log "warning: no programs in build/bin-static (run: make STATIC=1)"

stamp=$(
	for f in "$busybox" "$init" "$CG_ROOT/scripts/initramfs.sh" "${programs[@]}"; do
		printf '== %s\n' "$f"
		cat "$f"
	done | sha256sum | cut -d' ' -f1
)
if [[ -f $image && -f $out/inputs.sha256 && $(<"$out/inputs.sha256") == "$stamp" ]]; then
	log "up to date ($image)"
	exit 0
fi

stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,tmp,etc,root}
cp "$busybox" "$stage/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[[ $applet == bin/busybox || -e $stage/$applet ]] ||
		ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$init" "$stage/init"
# The kernel opens /dev/console for /init before devtmpfs is mounted.
mknod -m 0600 "$stage/dev/console" c 5 1
for p in "${programs[@]}"; do
	install -m 0755 "$p" "$stage/usr/local/bin/"
done

(cd "$stage" && find . -print0 | sort -z |
	cpio --null --create --format=newc --owner=0:0 --quiet) |
	gzip -n -9 >"$image.tmp"
mv "$image.tmp" "$image"
printf '%s\n' "$stamp" >"$out/inputs.sha256"
log "built $image ($(du -h "$image" | cut -f1); programs: ${programs[*]##*/})"
