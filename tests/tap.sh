# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The suite's one result protocol, TAP version 13 (https://testanything.org):
# what the VM guest (tests/vm/guest/run.sh), tests/vm/run (its results.tap)
# and the fuzzers (tests/fuzz/run) write, and tests/vm/run and scripts/test
# read. A stream:
#
#   TAP version 13
#   1..N
#   # begin NAME          before each case: which one a dead guest was in
#                         (the VM guest only)
#   ok 1 - NAME           passed
#     ---                 a YAML block after every test point
#     duration_ms: 1200
#     output: |           the case's output, each line indented 4 spaces
#       ...
#     ...
#   not ok 2 - NAME       failed; the block may say why: "message: |" and
#                         the reason indented 4 spaces
#   ok 3 - NAME # SKIP REASON
#
# A stream is complete when it has as many test points as its plan says.

# tap_emit_result FD NUMBER NAME PASS|FAIL|SKIP REASON DURATION_MS OUTPUT_FILE
tap_emit_result() {
	local fd=$1 n=$2 name=$3 status=$4 reason=$5 ms=$6 out=$7
	case $status in
	PASS) printf 'ok %d - %s\n' "$n" "$name" ;;
	SKIP) printf 'ok %d - %s # SKIP %s\n' "$n" "$name" "$reason" ;;
	*) printf 'not ok %d - %s\n' "$n" "$name" ;;
	esac >&"$fd"
	{
		echo "  ---"
		echo "  duration_ms: $ms"
		[ "$status" = FAIL ] && [ -n "$reason" ] && printf '  message: |\n    %s\n' "$reason"
		if [ -s "$out" ]; then
			echo "  output: |"
			# awk ends the last line even when the file does not
			awk '{ print "    " $0 }' "$out"
		fi
		echo "  ..."
	} >&"$fd"
}

# tap_read FD: read a stream from FD until it is complete, ends or bash's
# SECONDS reaches TAP_DEADLINE (which the callbacks may move), and call
# back, in order:
#   tap_on_start                        the version line: the guest runs
#   tap_on_plan COUNT
#   tap_on_begin NAME
#   tap_on_result STATUS NAME REASON DURATION_MS OUTPUT
# STATUS is PASS, FAIL or SKIP. TAP_LINE_HOOK, if set, names a function
# called with every line read (to keep a raw copy). Returns 0 when
# complete, 1 when the stream ended early, 2 at the deadline, 3 on a line
# that is not TAP of this form.
tap_read() {
	local fd=$1 line rc planned=-1 seen=0 state=top block=""
	local status="" name="" reason="" ms="" output=""
	while :; do
		if [ "$planned" -ge 0 ] && [ "$seen" -ge "$planned" ] && [ "$state" = top ]; then
			return 0
		fi
		local left=$((TAP_DEADLINE - SECONDS))
		[ "$left" -gt 0 ] || return 2
		rc=0
		IFS= read -r -t "$left" -u "$fd" line || rc=$?
		if [ "$rc" -gt 128 ]; then
			return 2
		elif [ "$rc" -ne 0 ] && [ -z "$line" ]; then
			[ "$state" = top ] || tap_on_result "$status" "$name" "${reason%$'\n'}" "$ms" "${output%$'\n'}"
			[ "$planned" -ge 0 ] && [ "$seen" -ge "$planned" ] && return 0
			return 1
		fi
		line=${line%$'\r'}
		[ -z "${TAP_LINE_HOOK:-}" ] || "$TAP_LINE_HOOK" "$line"
		if [ "$state" = yaml ]; then
			# a test point's YAML block: scalars, and literal blocks (key: |)
			if [ "$line" = "  ..." ]; then
				tap_on_result "$status" "$name" "${reason%$'\n'}" "$ms" "${output%$'\n'}"
				state=top
			elif [ -n "$block" ] && [[ $line == "    "* || -z $line ]]; then
				case $block in
				message) reason+="${line#    }"$'\n' ;;
				output) output+="${line#    }"$'\n' ;;
				esac
			elif [[ $line =~ ^\ \ ([a-z_]+):\ ?(.*)$ ]]; then
				block=""
				case ${BASH_REMATCH[1]},${BASH_REMATCH[2]} in
				duration_ms,*) ms=${BASH_REMATCH[2]} ;;
				*,"|") block=${BASH_REMATCH[1]} ;;
				esac
			else
				return 3
			fi
			continue
		fi
		if [ "$state" = point ]; then
			if [ "$line" = "  ---" ]; then
				state=yaml block=""
				continue
			fi
			tap_on_result "$status" "$name" "$reason" "$ms" ""
			state=top
		fi
		case $line in
		"TAP version "*) tap_on_start ;;
		"# begin "*) tap_on_begin "${line#\# begin }" ;;
		"#"* | "") ;;
		*)
			if [[ $line =~ ^1\.\.([0-9]+)$ ]]; then
				planned=${BASH_REMATCH[1]}
				tap_on_plan "$planned"
			elif [[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ ([^\ #]+)(\ \#\ SKIP\ ?(.*))?$ ]]; then
				name=${BASH_REMATCH[2]} reason="" ms="" output=""
				if [ -n "${BASH_REMATCH[1]}" ]; then
					status=FAIL
				elif [ -n "${BASH_REMATCH[3]}" ]; then
					status=SKIP reason=${BASH_REMATCH[4]}
				else
					status=PASS
				fi
				seen=$((seen + 1))
				state=point
			else
				return 3
			fi
			;;
		esac
	done
}
