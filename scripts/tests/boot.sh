# shellcheck shell=bash
# The guest harness itself (scripts/test.sh, sourced): a job's parameters
# travel one way, /job.params written by scripts/boot.sh and loaded by the
# guest's init; they must arrive byte for byte, quotes, spaces, empty
# arguments and shell syntax included. Uses $T and built[].

test_boot_params() {
	local v=vanilla dir=$T/boot-params rc=0 want got
	local name="boot.sh: a guest job gets its --param value and arguments byte for byte"
	local note="it's \$HOME \"quoted\" \\ \`id\` ;"
	local -a args=("two  words" "it's" "" '$(id)' '*' "-n")
	if [[ -z ${built[$v]:-} ]]; then
		tap_not_ok "$name" "kernel $v was not built"
		return
	fi
	"$CG_ROOT/scripts/boot.sh" --param "smoke_note=$note" "$v" "$dir" smoke "${args[@]}" \
		>"$dir.log" 2>&1 || rc=$?
	want=$(printf 'note=%s\n' "$note"
		printf 'arg=%s\n' "${args[@]}")
	got=$(tr -d '\r' <"$dir/channel.out" 2>/dev/null)
	tap_result "$name" "$( ((rc == 0)) || cat "$dir.log"
		[[ $got == "$want" ]] || diff <(echo "$want") <(echo "$got"))"
}
