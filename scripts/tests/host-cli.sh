# shellcheck shell=bash
# The checker's command line and TAP as a user meets them (sourced by
# scripts/tests/host.sh): bad options are clear errors, reports are written
# whole or fail the run, TAP agrees with the exit status.

# tap_counts FILE: "failed=N skipped=N todo=N plan=good|bad" as TAP::Parser
# (prove's parser) counts them.
tap_counts() {
	perl -MTAP::Parser -e '
		open my $in, "<", $ARGV[0] or die "$ARGV[0]: $!\n";
		my $p = TAP::Parser->new({ tap => do { local $/; <$in> } });
		$p->run;
		printf "failed=%d skipped=%d todo=%d plan=%s\n", scalar $p->failed,
			scalar $p->skipped, scalar $p->todo, $p->is_good_plan ? "good" : "bad";
	' "$1" 2>&1 || true
}

# expect_exit WANT CMD...: runs CMD in $CLI_OUT; when it does not exit WANT,
# adds a line to the caller's $problems.
expect_exit() {
	local want=$1 rc=0
	shift
	(cd "$CLI_OUT" && exec "$@") >"$CLI_OUT/stdout" 2>"$CLI_OUT/stderr" || rc=$?
	((rc == want)) ||
		problems+="${*:2}: exit $rc, not $want; stderr: $(head -n 1 "$CLI_OUT/stderr")"$'\n'
}

test_cli_empty_paths() {
	local bin=$1 problems="" p
	for p in '' ',' 'madv,' ',madv' 'madv,,khugepaged'; do
		expect_exit 2 "$bin" --path "$p" no-uffd
		grep -q -- "--path" "$CLI_OUT/stderr" || problems+="--path '$p': no message naming --path"$'\n'
		[[ ! -s $CLI_OUT/stdout ]] || problems+="--path '$p' printed: $(head -c 200 "$CLI_OUT/stdout")"$'\n'
	done
	tap_result "$2: an empty --path name ('', ',', 'madv,') is a usage error" "$problems"
}

# The memory axis: --memory and --tmpfs-dir checked like --path, every row
# on each memory type, "memory" in the JSON and in the TAP test names.
test_cli_memory_axis() {
	local bin=$1 problems="" m d not_tmpfs out
	for m in '' ',' 'memfd,' 'shm'; do
		expect_exit 2 "$bin" --memory "$m" no-uffd
		grep -q -- "--memory\|memory type" "$CLI_OUT/stderr" ||
			problems+="--memory '$m': no message naming the memory type"$'\n'
		[[ ! -s $CLI_OUT/stdout ]] || problems+="--memory '$m' printed: $(head -c 200 "$CLI_OUT/stdout")"$'\n'
	done
	not_tmpfs=$CG_ROOT
	[[ $(stat -f -c %T "$not_tmpfs") != tmpfs ]] || not_tmpfs=/proc
	for d in '' "$CLI_OUT/no-such-dir" "$CG_ROOT/README.md" "$not_tmpfs"; do
		expect_exit 2 "$bin" --tmpfs-dir "$d" no-uffd
		grep -q -- "--tmpfs-dir" "$CLI_OUT/stderr" ||
			problems+="--tmpfs-dir '$d': no message naming --tmpfs-dir"$'\n'
	done
	expect_exit 0 "$bin" --path madv --json other-vma no-uffd
	out=$(jq -r '[.results[] | "\(.scenario)/\(.memory)"] | sort
		| if . == ["no-uffd/memfd", "no-uffd/tmpfs", "other-vma/memfd", "other-vma/tmpfs"]
		  then empty else "rows by memory: \(.)" end' "$CLI_OUT/stdout" 2>&1)
	[[ -z $out ]] || problems+="$out"$'\n'
	expect_exit 0 "$bin" --path madv --memory memfd --json no-uffd
	out=$(jq -r '[.results[].memory] | if . == ["memfd"] then empty
		else "--memory memfd ran \(.)" end' "$CLI_OUT/stdout" 2>&1)
	[[ -z $out ]] || problems+="$out"$'\n'
	expect_exit 0 "$bin" --path madv --memory tmpfs --tap no-uffd
	grep -q "^ok 1 no-uffd/tmpfs/madv_collapse " "$CLI_OUT/stdout" ||
		problems+="TAP name without the memory type: $(grep "^ok\|^not ok" "$CLI_OUT/stdout")"$'\n'
	if [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
		expect_exit 0 "$bin" --path madv --memory tmpfs --tmpfs-dir /dev/shm --json other-vma
		out=$(jq -r '.results[] | select(.verdict != "SAFE"
			or (.detail | startswith("tmpfs /dev/shm;") | not))
			| "--tmpfs-dir /dev/shm: \(.verdict): \(.detail)"' "$CLI_OUT/stdout" 2>&1)
		[[ -z $out ]] || problems+="$out"$'\n'
	fi
	tap_result "$2: every row runs on memfd and tmpfs; bad --memory, --tmpfs-dir are usage errors" \
		"$problems"
}

test_cli_json_out_names() {
	local bin=$1 problems=""
	expect_exit 2 "$bin" --json-out --list
	[[ ! -e $CLI_OUT/--list ]] || problems+="a file named --list was written"$'\n'
	expect_exit 0 "$bin" --path madv --json-out - no-uffd
	[[ ! -e $CLI_OUT/- ]] || problems+="a file named - was written"$'\n'
	jq -e '.tool == "collapse-check"' "$CLI_OUT/stdout" >/dev/null 2>&1 ||
		problems+="--json-out - did not put the JSON on stdout"$'\n'
	tap_result "$2: --json-out takes a file name or - (stdout), never an option" "$problems"
}

# Every other program's --json-out is checked the same way (src/lib's
# cg_json_out_check): an option given by mistake is refused, not a file name.
test_cli_json_out_every_program() {
	local problems="" prog
	for prog in collapse-race collapse-stress collapse-bench "collapse-pager run" \
		"collapse-pager backend"; do
		# shellcheck disable=SC2086 # "collapse-pager run": program and subcommand
		expect_exit 2 $CG_BUILD/bin/$prog --json-out --list
		[[ ! -e $CLI_OUT/--list ]] || problems+="$prog: a file named --list was written"$'\n'
		rm -f -- "$CLI_OUT/--list"
	done
	tap_result "$1: every program's --json-out refuses an option as its file name" "$problems"
}

test_cli_write_errors() {
	local bin=$1 problems="" format
	for format in --json --tap ""; do
		# shellcheck disable=SC2086 # "" means no option
		if "$bin" --path madv $format no-uffd >/dev/full 2>/dev/null; then
			problems+="${format:-the table} to /dev/full: exit 0"$'\n'
		fi
	done
	if "$bin" --path madv --json-out /dev/full no-uffd >/dev/null 2>&1; then
		problems+="--json-out /dev/full: exit 0"$'\n'
	fi
	tap_result "$2: a report that cannot be written (/dev/full) fails the run" "$problems"
}

test_cli_timeout_bounds() {
	local bin=$1 problems=""
	expect_exit 2 "$bin" --timeout 0.0001 --list
	expect_exit 2 "$bin" --timeout 0 --list
	expect_exit 0 "$bin" --timeout 0.001 --list
	expect_exit 0 "$bin" --timeout 3600 --list
	expect_exit 2 "$bin" --timeout 3601 --list
	"$bin" --help | grep -q "0.001 to 3600" || problems+="--help does not give 0.001 to 3600"$'\n'
	grep -q -- "--timeout.*3600\|0.001 to 3600" "$CG_ROOT/README.md" ||
		problems+="README does not give the --timeout bound 3600"$'\n'
	tap_result "$2: --timeout from 1 ms to 3600 s, as --help and README say" "$problems"
}

# The SKIP of a cell, and of scripts/tap.sh, is a directive that prove counts.
test_tap_skips_counted() {
	local bin=$1 problems="" counts copy
	if id nobody >/dev/null 2>&1; then
		# A copy that nobody can reach, whatever the permissions of the tree.
		copy=$(mktemp -d)
		install -m 755 "$bin" "$copy/collapse-check"
		chmod 755 "$copy"
		(cd / && setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
			"$copy/collapse-check" --tap --path khugepaged --memory memfd no-uffd) \
			>"$CLI_OUT/nonroot.tap" 2>&1 || true
		rm -rf "$copy"
		counts=$(tap_counts "$CLI_OUT/nonroot.tap")
		[[ $counts == "failed=0 skipped=1 todo=0 plan=good" ]] ||
			problems+="checker as nobody: $counts: $(cat "$CLI_OUT/nonroot.tap")"$'\n'
	fi
	(
		TAP_N=0 TAP_PASSED=0 TAP_FAILED=0
		# shellcheck source=scripts/tap.sh
		. "$CG_ROOT/scripts/tap.sh"
		tap_ok "first"
		tap_skip "second" "a reason"
		tap_end
	) >"$CLI_OUT/tap-sh.tap" || true
	counts=$(tap_counts "$CLI_OUT/tap-sh.tap")
	[[ $counts == "failed=0 skipped=1 todo=0 plan=good" ]] ||
		problems+="scripts/tap.sh: $counts: $(cat "$CLI_OUT/tap-sh.tap")"$'\n'
	tap_result "$2: a SKIP is a # SKIP directive that TAP consumers count" "$problems"
}

# test_host_cli BIN OUTDIR NAME
test_host_cli() {
	CLI_OUT=$2/cli
	rm -rf "$CLI_OUT"
	mkdir -p "$CLI_OUT"
	test_cli_empty_paths "$1" "$3"
	test_cli_memory_axis "$1" "$3"
	test_cli_json_out_names "$1" "$3"
	test_cli_json_out_every_program "$3"
	test_cli_write_errors "$1" "$3"
	test_cli_timeout_bounds "$1" "$3"
	test_tap_skips_counted "$1" "$3"
}
