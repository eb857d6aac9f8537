# shellcheck shell=bash
# The kernel's own mm selftests as a peer check (scripts/test.sh, sourced):
# khugepaged all:shmem, userfaultfd shmem 16 8 and userfaultfd anon 16 8,
# built from linux-source-6.1 (scripts/selftests-build.sh), must pass on
# vanilla and on every patched kernel; they catch a guard that breaks
# collapse or userfaultfd elsewhere. On vanilla, a negative control first
# runs khugepaged madvise:shmem with shmem_enabled pinned at "deny", and
# userfaultfd shmem 16 8 under a 32 MiB address-space limit; both must fail
# (the suite can fail). Uses $T and built[].

SELFTEST_VARIANTS=(vanilla patched patched-debug)
SELFTEST_RUNS=(khugepaged:all:shmem userfaultfd:shmem:16:8 userfaultfd:anon:16:8)

# selftest_result DIR NAME: "rc seconds" of a run, or nothing.
selftest_result() {
	awk -F'\t' -v n="$2" '$1 == n { print $2, $3 }' "$1/results.txt" 2>/dev/null || true
}

test_selftests_guest() {
	local v=$1 label=${VARIANT_LABEL[$1]} dir=$T/selftests-$1 rc=0 start
	local name="$label: mm selftests run in QEMU, console log clean" r got cmd
	local -a args=()
	[[ $v != vanilla ]] || args=(--deny-control)
	if [[ -z ${built[$v]:-} ]]; then
		tap_not_ok "$name" "kernel $v was not built"
		return
	fi
	start=$(now)
	"$CG_ROOT/scripts/vm-selftests.sh" "${args[@]}" "$v" "$dir" >"$dir.log" 2>&1 || rc=$?
	tap_result "$name" "$( ((rc == 0)) || cat "$dir.log")"
	tap_note "$label: boot and selftests took $(($(now) - start)) s"
	if [[ $v == vanilla ]]; then
		got=$(selftest_result "$dir" deny-control:khugepaged-madvise:shmem)
		tap_result "$label: selftest khugepaged madvise:shmem fails with shmem_enabled pinned at deny (the suite can fail)" \
			"$([[ -n $got && ${got%% *} != 0 ]] || echo "result '${got:-none}', want a non-zero exit")"
		got=$(selftest_result "$dir" limit-control:userfaultfd:shmem:16:8)
		tap_result "$label: selftest userfaultfd shmem 16 8 fails under ulimit -v 32768 (a failing run is seen)" \
			"$([[ -n $got && ${got%% *} != 0 ]] || echo "result '${got:-none}', want a non-zero exit")"
	fi
	for r in "${SELFTEST_RUNS[@]}"; do
		got=$(selftest_result "$dir" "$r")
		# The command line: khugepaged all:shmem, userfaultfd shmem 16 8.
		cmd=${r/:/ }
		[[ $r != userfaultfd:* ]] || cmd=${r//:/ }
		tap_result "$label: selftest $cmd passes (exit 0${got:+, ${got#* } s})" \
			"$([[ -n $got && ${got%% *} == 0 ]] || printf '%s\n%s' \
				"result '${got:-none}' (rc seconds), want exit 0; console: $dir/console.log" \
				"$(grep -a -E 'Fail|ERROR|error' "$dir/console.log" 2>/dev/null | head -n 10)")"
	done
}

test_selftests() {
	local v
	if ! step "mm selftests (khugepaged, userfaultfd) build from linux-source-6.1" \
		"$T/selftests-build.log" "$CG_ROOT/scripts/selftests-build.sh"; then
		for v in "${SELFTEST_VARIANTS[@]}"; do
			tap_not_ok "${VARIANT_LABEL[$v]}: mm selftests" "the selftests did not build"
		done
		return
	fi
	for v in "${SELFTEST_VARIANTS[@]}"; do
		if variant_buildable "$v"; then
			test_selftests_guest "$v"
		else
			tap_skip "${VARIANT_LABEL[$v]}: mm selftests" "${VARIANT_SERIES[$v]} has no *.patch"
		fi
	done
}
