#!/usr/bin/env bash
# The test suite: sudo bash scripts/test.sh
#
# Sets everything up itself (packages, user-space builds, kernels, initramfs),
# then checks the checker on the host kernel and on 6.1 in QEMU, vanilla and
# patched (plain, and the debug kernel with lockdep, KASAN and kmemleak), the
# races, stress and fault injection on the debug kernels (vanilla + the park
# facility must show the bug, patched must not), QEMU post-copy migration of
# memfd RAM with a collapsing backend inside vanilla (must fail) and patched
# 6.1 (must pass), the kernel's own mm selftests (khugepaged, userfaultfd)
# on vanilla and patched 6.1, checkpatch on the series, the upstream series
# (kernel/6.12/patches: it applies with git am, its kselftest builds, is
# checkpatch-clean, and fails on vanilla 6.1 and passes its safety tests on
# patched 6.1; the 6.12 kernels are scripts/upstream.sh's), the message when
# a patch stops applying, and the touched objects under Debian's own
# configuration and a small matrix (W=1, no new warning). Prints
# "ok N - name" / "not ok N - name" lines and ends with "N passed, N
# failed"; exits 1 if any test failed.
# Logs and reports: build/test/. When every test passed, it writes
# build/test/passed-sources, which scripts/known-good.sh --record turns into
# kernel/6.1/known-good (the last Debian version known good).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CG_ROOT/scripts/variants.sh"
. "$CG_ROOT/scripts/tap.sh"
. "$CG_ROOT/scripts/tests/steps.sh"
. "$CG_ROOT/scripts/tests/host.sh"
. "$CG_ROOT/scripts/tests/guest.sh"
. "$CG_ROOT/scripts/tests/boot.sh"
. "$CG_ROOT/scripts/tests/checkpatch.sh"
. "$CG_ROOT/scripts/tests/debug.sh"
. "$CG_ROOT/scripts/tests/pager.sh"
. "$CG_ROOT/scripts/tests/upstream.sh"
. "$CG_ROOT/scripts/tests/selftests.sh"
. "$CG_ROOT/scripts/series-apply.sh"
. "$CG_ROOT/scripts/tests/series-apply.sh"
. "$CG_ROOT/scripts/tests/debian.sh"

need_root
T=$CG_BUILD/test
rm -rf "$T"
mkdir -p "$T"
suite_start=$(now)

if ! step "setup: packages installed" "$T/setup.log" "$CG_ROOT/scripts/setup.sh"; then
	tap_end
	exit 1
fi
test_userspace_builds
test_model
test_model_tap_plan
test_host_checker
test_host_checker_hardening

declare -A built=()
for v in "${TEST_VARIANTS[@]}"; do
	if ! variant_buildable "$v"; then
		tap_skip "kernel $v" "${VARIANT_SERIES[$v]} has no *.patch"
		continue
	fi
	step "kernel $v builds, every fragment option set" "$T/kernel-$v.log" \
		"$CG_ROOT/scripts/kernel-build.sh" "$v" && built[$v]=1
done
step "initramfs builds" "$T/initramfs.log" "$CG_ROOT/scripts/initramfs.sh" || true
test_boot_params

test_vanilla_guest
for v in patched patched-debug; do
	if variant_buildable "$v"; then
		test_patched_guest "$v"
	else
		tap_skip "$v in QEMU" "${VARIANT_SERIES[$v]} has no *.patch"
	fi
done
test_selftests
test_pager
test_races
test_stress
test_faultinj
test_checkpatch
test_upstream_series
test_series_apply
test_debian_objects

tap_note "total time $(($(now) - suite_start)) s"
tap_end || exit 1
# Every test passed: the source versions tested, for scripts/known-good.sh
# --record (which a maintainer runs; CI writes nothing into the repository).
for v in "${TEST_VARIANTS[@]}"; do
	printf '%s %s\n' "${VARIANT_SOURCE[$v]}" "$(<"$CG_BUILD/kernels/$v/source-version")"
done | sort -u >"$T/passed-sources"
