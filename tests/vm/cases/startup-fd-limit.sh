#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: `ublk add` under every open-file limit from 5 up to the first that suffices (at most 24) fails at each step of the start-up in turn (queues, char device, control ring...): it either works or exits 1 with one error line, and leaves no device, record or process behind
# Timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

export UBLK_RUN_DIR=$WORK/run
backing_file "$WORK/backing" 16M
ok=0 failed=0
# each limit a step higher, until add works: a higher one changes nothing
for args in "-t null -q 2" "-t loop -q 2 -f $WORK/backing -r 1"; do
	added=0
	for n in $(seq 5 24); do
		# shellcheck disable=SC2086 # $args is a list of options
		start=$(now_ms)
		timeout 60 bash -c "ulimit -n $n && exec ublk add $args" >"$WORK/out" 2>"$WORK/err" </dev/null
		rc=$?
		if [ "$rc" -eq 0 ]; then
			[[ $(cat "$WORK/out") =~ /dev/ublkb([0-9]+)$ ]] || fail "limit $n: add printed '$(cat "$WORK/out")'"
			echo "limit $n, $args: added in $(($(now_ms) - start)) ms"
			ublk_del "${BASH_REMATCH[1]}"
			ok=$((ok + 1)) added=1
		else
			[ "$rc" -eq 1 ] || fail "limit $n, add $args: exit status $rc: $(cat "$WORK/err")"
			[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "limit $n, add $args: not one error line: $(cat "$WORK/err")"
			grep -q '^ublk: ' "$WORK/err" || fail "limit $n: the error does not start with 'ublk: '"
			[ ! -s "$WORK/out" ] || fail "limit $n: add printed on stdout"
			echo "limit $n, $args: $(($(now_ms) - start)) ms: $(cat "$WORK/err")"
			failed=$((failed + 1))
		fi
		# the kernel's list, without the cost of `ublk list` in every round
		[ -z "$(ls -A /sys/class/ublk-char 2>/dev/null)" ] ||
			fail "limit $n, add $args: devices remain: $(ls /sys/class/ublk-char)"
		assert_no_daemon
		[ -z "$(ls -A "$UBLK_RUN_DIR" 2>/dev/null)" ] || fail "limit $n: records remain: $(ls -A "$UBLK_RUN_DIR")"
		[ "$added" = 0 ] || break
	done
	[ "$added" = 1 ] || fail "add $args failed under every limit up to 24 open files"
done
assert_list_empty
echo "$ok adds worked, $failed failed cleanly"
[ "$failed" -gt 0 ] && [ "$ok" -gt 0 ] || fail "the limits did not cover both outcomes"
