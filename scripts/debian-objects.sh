#!/usr/bin/env bash
# Builds, with Debian 12's own kernel configuration, the objects the
# production series touches, vanilla and patched, with W=1, and compares the
# warnings (the patched build must print none that vanilla does not):
#
#   scripts/debian-objects.sh [ROW...]
#
# Rows (default: all):
#   debian         config.amd64_none_amd64 of linux-config-6.1, olddefconfig
#   uffd-n         the same with CONFIG_USERFAULTFD=n
#   shmem-n        the same with CONFIG_SHMEM=n (and the DRM drivers that
#                  select SHMEM off)
#   thp-n          the same with CONFIG_TRANSPARENT_HUGEPAGE=n
# Every row builds vanilla and the production series (kernel/6.1/patches,
# no test-only patches). The debian row builds OBJECTS_FULL (the series'
# files and every built-in or module object that includes a changed header,
# below); the matrix rows build OBJECTS_CORE. An object the row's
# configuration leaves out is reported as such, not built.
#
# Environment: DEBIAN_EXTRA_PATCHES, patches applied to the patched tree
# after the series (for showing that a new warning fails the run).
#
# Needs root the first time (apt-get install linux-config-6.1). Results:
# build/debian/<row>-<tree>/ (O= build directories, warnings.txt, make.log),
# build/debian/summary.txt. Exit 0 when every row built and no new warning
# appeared, 1 otherwise. Not part of scripts/test.sh (see docs/debian.md for
# its time).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"
. "$CG_ROOT/scripts/series-apply.sh"

# The files the series changes (git diff --stat of kernel/6.1/patches):
# fs/userfaultfd.c, include/linux/shmem_fs.h,
# include/trace/events/huge_memory.h, kernel/fork.c, mm/khugepaged.c,
# mm/mmap.c, mm/shmem.c; mm/mremap.c calls into the accounting.
OBJECTS_CORE=(mm/khugepaged.o mm/shmem.o mm/mmap.o mm/mremap.o
	fs/userfaultfd.o kernel/fork.o)
# ... and the x86 objects whose source includes <linux/shmem_fs.h> directly
# (include/trace/events/huge_memory.h is included by mm/khugepaged.c only).
OBJECTS_FULL=("${OBJECTS_CORE[@]}"
	mm/filemap.o mm/huge_memory.o mm/madvise.o mm/memcontrol.o mm/memfd.o
	mm/memory-failure.o mm/mincore.o mm/swap_state.o mm/swapfile.o
	mm/truncate.o mm/userfaultfd.o mm/vmscan.o mm/workingset.o
	fs/namespace.o fs/proc/task_mmu.o ipc/shm.o init/main.o init/do_mounts.o
	kernel/events/uprobes.o kernel/usermode_driver.o
	drivers/base/devtmpfs.o drivers/char/mem.o drivers/dma-buf/udmabuf.o
	arch/x86/kernel/cpu/sgx/encl.o arch/x86/kernel/cpu/sgx/ioctl.o
	security/keys/big_key.o drivers/gpu/drm/drm_gem.o
	drivers/gpu/drm/drm_gem_shmem_helper.o drivers/gpu/drm/ttm/ttm_tt.o
	drivers/gpu/drm/i915/gem/i915_gem_shmem.o)
ROWS=(debian uffd-n shmem-n thp-n)
# The options a row turns off: the row's own, then those that select it
# (i915, etnaviv and msm select SHMEM; olddefconfig would turn it back on).
declare -A ROW_OFF=([debian]="" [uffd-n]=USERFAULTFD
	[shmem-n]="SHMEM DRM_I915 DRM_ETNAVIV DRM_MSM" [thp-n]=TRANSPARENT_HUGEPAGE)

rows=("$@")
((${#rows[@]})) || rows=("${ROWS[@]}")
for r in "${rows[@]}"; do
	[[ -n ${ROW_OFF[$r]+set} ]] || die "unknown row '$r' (known: ${ROWS[*]})" 2
done

pkg=linux-source-6.1
tarball=/usr/src/$pkg.tar.xz
debconfig=/usr/src/linux-config-6.1/config.amd64_none_amd64.xz
[[ -f $tarball ]] || die "$tarball missing: run scripts/setup.sh" 2
if [[ ! -f $debconfig ]]; then
	need_root
	log "installing linux-config-6.1"
	DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends \
		linux-config-6.1 >&2
fi
[[ -f $debconfig ]] || die "$debconfig missing after installing linux-config-6.1" 2
srcver=$(dpkg-query -W -f='${source:Version}' "$pkg")
cfgver=$(dpkg-query -W -f='${Version}' linux-config-6.1)
mapfile -t patches < <(variant_patches patched)
((${#patches[@]})) || die "kernel/6.1/patches has no *.patch" 2
# DEBIAN_EXTRA_PATCHES: patch files applied after the series (to show that
# a warning the patched tree adds is caught; docs/debian.md).
read -ra extra <<<"${DEBIAN_EXTRA_PATCHES:-}"
for p in "${extra[@]}"; do
	[[ -f $p ]] || die "extra patch $p missing" 2
	patches+=("$(cd "$(dirname "$p")" && pwd)/${p##*/}")
done

top=$CG_BUILD/debian
mkdir -p "$top"
exec 9>"$top/.lock"
flock 9
start_all=$(now)

# The two source trees, unpacked once per source version and series.
stamp=$(
	printf '%s %s\n' "$pkg" "$srcver"
	cat "${patches[@]}"
) && stamp=$(sha256sum <<<"$stamp" | cut -d' ' -f1)
if [[ ! -f $top/src.sha256 || $(<"$top/src.sha256") != "$stamp" ]]; then
	rm -rf "${top:?}/src" "$top"/*-vanilla "$top"/*-patched
	for t in vanilla patched; do
		log "unpacking $pkg $srcver into build/debian/src/$t"
		mkdir -p "$top/src/$t"
		tar -xf "$tarball" -C "$top/src/$t" --strip-components=1
	done
	for p in "${patches[@]}"; do
		log "applying ${p#"$CG_ROOT"/}"
		apply_patch "$top/src/patched" "$p" "$pkg" "$srcver" "$top/patch.log" ||
			die "the series stops at ${p#"$CG_ROOT"/} (above)"
	done
	printf '%s\n' "$stamp" >"$top/src.sha256"
fi

# warnings LOG: the compiler's (and kernel-doc's) warnings, with paths
# relative to the tree and without line and column numbers (the series
# moves lines), one per line, sorted.
warnings() {
	grep -E '^[^ ]+:[0-9]+:([0-9]+:)? warning: ' "$1" |
		sed -E -e 's#^([^:]*/)?src/(vanilla|patched)/##' \
			-e 's/^([^:]+):[0-9]+:([0-9]+:)? /\1: /' | sort || true
}

# config_row DIR ROW: Debian's configuration in DIR/.config, the row's option
# off, olddefconfig; fails when the option did not stay off.
config_row() {
	local dir=$1 row=$2 tree=$3 opt
	mkdir -p "$dir"
	xz -dc "$debconfig" >"$dir/.config"
	# Debian's signing keys are not in the source package; objects do not
	# need them.
	"$tree/scripts/config" --file "$dir/.config" --set-str SYSTEM_TRUSTED_KEYS "" \
		--set-str SYSTEM_REVOCATION_KEYS ""
	for opt in ${ROW_OFF[$row]}; do
		"$tree/scripts/config" --file "$dir/.config" --disable "$opt"
	done
	make -C "$tree" O="$dir" ARCH=x86_64 olddefconfig >"$dir/config.log" 2>&1 || {
		tail -n 20 "$dir/config.log" >&2
		return 1
	}
	for opt in ${ROW_OFF[$row]}; do
		if grep -q "^CONFIG_$opt=" "$dir/.config"; then
			log "$row: CONFIG_$opt did not stay off: $(grep "^CONFIG_$opt=" "$dir/.config")"
			return 1
		fi
	done
}

# in_config DIR OBJECT: whether the configuration builds OBJECT (its line in
# the directory's Makefile names a CONFIG_ option that is y or m, or obj-y).
in_config() {
	local dir=$1 obj=$2 mk sub base sym line
	sub=${obj%/*} base=${obj##*/}
	# A composite module's objects are listed in a parent's Makefile
	# (drivers/gpu/drm/i915/Makefile lists gem/i915_gem_shmem.o).
	while [[ ! -f $3/$sub/Makefile && $sub == */* ]]; do
		base=${sub##*/}/$base sub=${sub%/*}
	done
	mk=$3/$sub/Makefile
	line=$(grep -E "(^|[[:space:]=+])${base//./\\.}([[:space:]]|$)" "$mk" | head -n 1 || true)
	[[ -n $line ]] || return 1
	sym=$(grep -oE 'CONFIG_[A-Z0-9_]+' <<<"$line" | head -n 1 || true)
	[[ -z $sym ]] || grep -qE "^$sym=(y|m)" "$dir/.config"
}

summary=$top/summary.txt
{
	echo "# scripts/debian-objects.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
	echo "# $pkg $srcver, linux-config-6.1 $cfgver (config.amd64_none_amd64), gcc $(gcc -dumpfullversion), W=1"
} >"$summary"
fail=0
for row in "${rows[@]}"; do
	objs=("${OBJECTS_CORE[@]}")
	[[ $row != debian ]] || objs=("${OBJECTS_FULL[@]}")
	for t in vanilla patched; do
		dir=$top/$row-$t tree=$top/src/$t
		rstart=$(now)
		rm -f "$dir/warnings.txt"
		log "$row/$t: configuring"
		if ! config_row "$dir" "$row" "$tree"; then
			echo "$row $t: CONFIGURATION FAILED ($dir/config.log)" >>"$summary"
			fail=1
			continue
		fi
		build=() skipped=()
		for o in "${objs[@]}"; do
			if in_config "$dir" "$o" "$tree"; then build+=("$o"); else skipped+=("$o"); fi
		done
		# Compiled afresh every run, or their warnings would not be seen.
		for o in "${build[@]}"; do rm -f "${dir:?}/$o"; done
		log "$row/$t: building ${#build[@]} objects with W=1 (log: $dir/make.log)"
		rc=0
		nice -n 10 make -C "$tree" O="$dir" ARCH=x86_64 W=1 -j"$(nproc)" \
			"${build[@]}" >"$dir/make.log" 2>&1 || rc=$?
		warnings "$dir/make.log" >"$dir/warnings.txt"
		printf '%s\n' "${skipped[@]}" >"$dir/not-in-config.txt"
		printf '%s %s: %s, %d objects built, %d not in this configuration, %d warnings, %d s\n' \
			"$row" "$t" "$( ((rc == 0)) && echo built || echo "BUILD FAILED (exit $rc)")" \
			"${#build[@]}" "${#skipped[@]}" "$(wc -l <"$dir/warnings.txt")" \
			"$(($(now) - rstart))" >>"$summary"
		((rc == 0)) || {
			fail=1
			tail -n 30 "$dir/make.log" >&2
		}
	done
	if [[ ! -f $top/$row-vanilla/warnings.txt || ! -f $top/$row-patched/warnings.txt ]]; then
		fail=1
		echo "$row: NOT COMPARED (a build did not run)" >>"$summary"
		continue
	fi
	new=$(comm -13 "$top/$row-vanilla/warnings.txt" "$top/$row-patched/warnings.txt")
	if [[ -n $new ]]; then
		fail=1
		{
			echo "$row: NEW WARNINGS with the series:"
			while IFS= read -r w; do printf '  %s\n' "$w"; done <<<"$new"
		} >>"$summary"
	else
		echo "$row: no new warning with the series" >>"$summary"
	fi
done
echo "# total $(($(now) - start_all)) s" >>"$summary"
cat "$summary"
exit "$fail"
