#!/usr/bin/env bash
# Installs what the builds, the QEMU harness and the tests need on a Debian 12
# machine (run as root). Quick and offline when everything is already there.
# Records the Debian version of each kernel source package in
# build/<package>.version.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"

need_root

mapfile -t sources < <(printf '%s\n' "${VARIANT_SOURCE[@]}" | sort -u)
packages=(
	"${sources[@]}"
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils kmod
	rsync patch
	# checkpatch.pl
	perl
	# Debian's own kernel configuration (scripts/debian-objects.sh)
	linux-config-6.1
	# harness and tests
	qemu-system-x86 busybox-static gzip jq
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -q -y --no-install-recommends "${missing[@]}"
else
	log "all ${#packages[@]} packages present"
fi

mkdir -p "$CG_BUILD"
for p in "${sources[@]}"; do
	dpkg-query -W -f='${source:Version}\n' "$p" >"$CG_BUILD/$p.version"
	log "$p $(<"$CG_BUILD/$p.version")"
done
