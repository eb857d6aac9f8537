# shellcheck shell=bash
# The checker's hold on the real THP knobs, on the host kernel (sourced by
# scripts/tests/host.sh): a double SIGINT, a SIGKILL and its record, two runs
# at once, shmem_enabled=deny. Every test puts the knobs back itself if the
# checker did not. Uses $T, $THP_SYSFS, thp_knobs.

KNOB_RECORD=/run/collapse-guard/knobs

# thp_knobs_put_back LISTING: writes back every knob that differs from
# LISTING (thp_knobs' output); prints the names it wrote.
thp_knobs_put_back() {
	local line name want
	while IFS= read -r line; do
		name=${line%%: *} want=${line#*: }
		[[ $(cat "$THP_SYSFS/$name" 2>&1) == "$want" ]] && continue
		[[ $want =~ \[([^]]*)\] ]] && want=${BASH_REMATCH[1]}
		if echo "$want" 2>/dev/null >"$THP_SYSFS/$name"; then echo "$name"; fi
	done <"$1"
}

# knobs_diff LISTING: the knobs that now differ from LISTING; puts them back.
knobs_diff() {
	local now
	now=$(thp_knobs)
	diff "$1" - <<<"$now" || thp_knobs_put_back "$1" >/dev/null
	return 0
}

# wait_knobs_taken PID: true once the checker PID has set shmem_enabled (the
# last knob it sets), false if it ended first or 10 s passed.
wait_knobs_taken() {
	local i
	for ((i = 0; i < 1000; i++)); do
		[[ $(cat "$THP_SYSFS/shmem_enabled") == *"[advise]"* ]] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# stop_checker PID: SIGKILL and reap (a test that went wrong).
stop_checker() {
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# send_sigints PID GAP: two SIGINTs GAP microseconds apart (a busy wait, so
# that the gap is not rounded up to a timer tick); GAP "burst": one every
# 5 us for 5 ms. The old handler died in the middle of its restore when a
# second signal came 60 to 200 us after the first.
send_sigints() {
	perl -MTime::HiRes=time -e '
		my ($pid, $gap) = @ARGV;
		my $wait = sub { my $t = time; 1 while time < $t + $_[0] / 1e6 };
		if ($gap eq "burst") {
			my $end = time + 0.005;
			while (time < $end) { kill("INT", $pid) or last; $wait->(5) }
		} else {
			kill "INT", $pid;
			$wait->($gap);
			kill "INT", $pid;
		}' "$1" "$2"
}

test_knobs_double_sigint() {
	local bin=$1 out=$2 before=$2/knobs.base gap i pid rc problems=""
	local gaps=(0 burst 60 burst 80 burst 100 burst 150 burst 200 burst 60 burst 80 burst 100 burst 150 burst)
	for ((i = 0; i < ${#gaps[@]}; i++)); do
		gap=${gaps[i]}
		"$bin" --path khugepaged >/dev/null 2>"$out/sigint-$i.err" &
		pid=$!
		if ! wait_knobs_taken "$pid"; then
			problems+="try $i: the checker never set the knobs"$'\n'
			stop_checker "$pid"
			continue
		fi
		send_sigints "$pid" "$gap"
		rc=0
		wait "$pid" || rc=$?
		((rc == 130)) || problems+="try $i: exit $rc, not death by SIGINT (130)"$'\n'
		problems+=$(knobs_diff "$before" | sed "s/^/try $i (gap $gap): /")
		[[ ! -e $KNOB_RECORD ]] || problems+="try $i: $KNOB_RECORD left behind"$'\n'
	done
	tap_result "$3: SIGINTs back to back leave the THP knobs as they were (${#gaps[@]} tries)" \
		"$problems"
}

test_knobs_sigkill_record() {
	local bin=$1 out=$2 before=$2/knobs.base pid rc=0 problems=""
	"$bin" --path khugepaged >/dev/null 2>"$out/sigkill.err" &
	pid=$!
	if ! wait_knobs_taken "$pid"; then
		stop_checker "$pid"
		tap_not_ok "$3: the run after a SIGKILL puts the THP knobs back" \
			"the checker never set the knobs"
		return
	fi
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	thp_knobs >"$out/knobs.killed"
	# Whichever its path: a madv_collapse run also puts the knobs back first.
	"$bin" --path madv_collapse no-uffd >/dev/null 2>"$out/after-kill.err" || rc=$?
	((rc == 0)) || problems+="rerun exit $rc"$'\n'
	grep -q "ended without putting the THP knobs back" "$out/after-kill.err" ||
		problems+="the rerun did not say it put knobs back: $(cat "$out/after-kill.err")"$'\n'
	problems+=$(knobs_diff "$before")
	[[ ! -e $KNOB_RECORD ]] || problems+="$KNOB_RECORD left behind"$'\n'
	tap_result "$3: the run after a SIGKILL puts the THP knobs back and says so" "$problems"
}

test_knobs_two_runs() {
	local bin=$1 out=$2 before=$2/knobs.base first second rc1=0 rc2=0 problems=""
	# Three rows of two full scans each: long enough for the second to start.
	"$bin" --path khugepaged --json-out "$out/first.json" other-vma same-vma other-process \
		>/dev/null 2>"$out/first.err" &
	first=$!
	if ! wait_knobs_taken "$first"; then
		stop_checker "$first"
		tap_not_ok "$3: a second run waits for the first" "the first run never set the knobs"
		return
	fi
	"$bin" --path khugepaged --json-out "$out/second.json" other-vma no-uffd \
		>/dev/null 2>"$out/second.err" &
	second=$!
	wait "$first" || rc1=$?
	wait "$second" || rc2=$?
	((rc1 == 0 && rc2 == 0)) || problems+="exit $rc1 and $rc2"$'\n'
	grep -q "waiting for pid $first, which holds the THP knobs" "$out/second.err" ||
		problems+="the second run did not say whom it waits for: $(cat "$out/second.err")"$'\n'
	# A khugepaged too slow for the timeout (a loaded host) is no fault of the lock.
	problems+=$(report_rows "$out/second.json" \
		'.verdict == "ERROR" or (.verdict == "SKIP" and (.detail | test("inconclusive") | not))' \
		2>&1 || echo "no report from the second run")
	problems+=$(knobs_diff "$before")
	tap_result "$3: a second run waits for the first, both complete, THP knobs as before" \
		"$problems"
}

test_knobs_shmem_deny() {
	local bin=$1 out=$2 was detail
	was=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP_SYSFS/shmem_enabled")
	echo deny >"$THP_SYSFS/shmem_enabled"
	"$bin" --path madv_collapse --json no-uffd >"$out/deny.json" 2>&1 || true
	echo "$was" >"$THP_SYSFS/shmem_enabled"
	detail=$(jq -r '.results[0].verdict + ": " + .results[0].detail' "$out/deny.json" 2>&1 ||
		head -c 300 "$out/deny.json")
	tap_result "$3: under shmem_enabled=deny the checker names the setting" \
		"$([[ $detail == SKIP:*shmem_enabled=deny* ]] || echo "$detail")"
}

test_knobs_interrupted_json_out() {
	local bin=$1 out=$2 pid problems=""
	echo '{"an earlier report": true}' >"$out/kept.json"
	"$bin" --path khugepaged --json-out "$out/kept.json" >/dev/null 2>&1 &
	pid=$!
	if wait_knobs_taken "$pid"; then
		kill -INT "$pid"
		wait "$pid" 2>/dev/null || true
	else
		stop_checker "$pid"
		problems+="the checker never set the knobs"$'\n'
	fi
	grep -q "an earlier report" "$out/kept.json" ||
		problems+="kept.json is now $(stat -c %s "$out/kept.json") bytes: $(head -c 200 "$out/kept.json")"$'\n'
	problems+=$(find "$out" -name '.kept.json.*' -printf 'temporary file left: %f\n')
	tap_result "$3: an interrupted run leaves the earlier --json-out file whole" "$problems"
}

# test_host_knobs BIN OUTDIR NAME: every test above, shmem_enabled first set
# to never (so that the checker's change is seen) and every knob put back.
test_host_knobs() {
	local bin=$1 out=$2/knobs name=$3 orig
	mkdir -p "$out"
	if [[ ! -w $THP_SYSFS/khugepaged/scan_sleep_millisecs ]]; then
		tap_skip "$name: THP knob tests" "no writable khugepaged knobs in sysfs"
		return
	fi
	orig=$(thp_knobs)
	[[ $(cat "$THP_SYSFS/shmem_enabled") != *"[advise]"* ]] || echo never >"$THP_SYSFS/shmem_enabled"
	thp_knobs >"$out/knobs.base"
	test_knobs_double_sigint "$bin" "$out" "$name"
	test_knobs_sigkill_record "$bin" "$out" "$name"
	test_knobs_two_runs "$bin" "$out" "$name"
	test_knobs_interrupted_json_out "$bin" "$out" "$name"
	test_knobs_shmem_deny "$bin" "$out" "$name"
	thp_knobs_put_back <(echo "$orig") >/dev/null
}
