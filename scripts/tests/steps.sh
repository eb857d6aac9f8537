# shellcheck shell=bash
# Build steps of scripts/test.sh (sourced): each is one TAP test. Uses $T.

# step NAME LOG COMMAND...: runs COMMAND with its output in LOG; ok when it
# succeeds, otherwise not ok with the end of LOG. Returns COMMAND's success.
step() {
	local name=$1 logf=$2 start rc=0
	shift 2
	start=$(now)
	"$@" >"$logf" 2>&1 || rc=$?
	if ((rc == 0)); then
		tap_ok "$name"
	else
		tap_not_ok "$name" "exit $rc; end of $logf:" "$(tail -n 30 "$logf")"
	fi
	tap_note "$(($(now) - start)) s"
	return "$rc"
}

# make_warning_free [MAKE-ARGS...]: builds at the top, then fails if a
# compiler line lacks -Werror or the build printed any warning (linker ones
# included).
make_warning_free() {
	local out rc=0
	out=$(make -C "$CG_ROOT" -j"$(nproc)" "$@" 2>&1) || rc=$?
	printf '%s\n' "$out"
	((rc == 0)) || return "$rc"
	if grep -E '(^| )-c( |$)' <<<"$out" | grep -v -- '-Werror'; then
		echo "compiled without -Werror (above)"
		return 1
	fi
	if grep -i 'warning' <<<"$out"; then
		echo "the build printed warnings (above)"
		return 1
	fi
}

test_userspace_builds() {
	step "user space: make clean" "$T/make-clean.log" make -C "$CG_ROOT" clean || true
	step "user space builds with warnings as errors (make)" "$T/make.log" \
		make_warning_free || true
	step "user space builds with warnings as errors (make STATIC=1)" \
		"$T/make-static.log" make_warning_free STATIC=1 || true
}

test_model() {
	local bin=$CG_BUILD/bin/guard-model rc=0 last
	if [[ ! -f $CG_ROOT/src/model/Makefile ]]; then
		tap_skip "guard-model --test" "src/model has no Makefile yet"
		return
	fi
	if [[ ! -x $bin ]]; then
		tap_not_ok "guard-model --test passes" "build/bin/guard-model was not built"
		return
	fi
	"$bin" --test >"$T/model.tap" 2>&1 || rc=$?
	last=$(tail -n 1 "$T/model.tap")
	if ((rc == 0)) && [[ $last =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
		tap_ok "guard-model --test passes ($last)"
	else
		tap_not_ok "guard-model --test passes" "exit $rc, last line '$last'" \
			"$(grep -E '^not ok' "$T/model.tap" | head -n 20)"
	fi
}

# model_tap_plan_problem FILE: empty when the TAP in FILE has one plan
# "1..N" and N test lines numbered 1 to N in order, else what is wrong.
model_tap_plan_problem() {
	local plans plan lines numbers
	plans=$(grep -cE '^1\.\.[0-9]+' "$1" || true)
	if ((plans != 1)); then
		echo "$plans plan lines"
		return
	fi
	plan=$(grep -oE '^1\.\.[0-9]+' "$1" | cut -d. -f3)
	numbers=$(grep -oE '^(not )?ok [0-9]+' "$1" | grep -oE '[0-9]+$' | paste -sd' ')
	lines=$(wc -w <<<"$numbers")
	if ((lines != plan)); then
		echo "plan 1..$plan, $lines test lines"
	elif [[ $numbers != "$(seq -s' ' 1 "$plan")" ]]; then
		echo "test lines numbered $numbers"
	fi
}

# The self-tests' TAP: the plan is the number of tests (counted, not
# written by hand) and prove accepts it.
test_model_tap_plan() {
	local bin=$CG_BUILD/bin/guard-model out=$T/model-plan.tap problem prove_rc=0
	local name="guard-model --test: TAP plan counts its tests, prove accepts it"
	if [[ ! -x $bin ]]; then
		tap_not_ok "$name" "build/bin/guard-model was not built"
		return
	fi
	"$bin" --test >"$out" 2>&1 || true
	problem=$(model_tap_plan_problem "$out")
	prove --exec cat "$out" >"$T/model-plan.prove" 2>&1 || prove_rc=$?
	if [[ -z $problem ]] && ((prove_rc == 0)); then
		tap_ok "$name"
	else
		tap_not_ok "$name" "${problem:-prove exit $prove_rc}" "$(tail -n 5 "$T/model-plan.prove")"
	fi
}
