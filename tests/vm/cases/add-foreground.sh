#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add --foreground serves the device from the calling process until del, then exits 0
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

ublk add -t null -n 9 -s 64M --foreground >"$WORK/out" 2>"$WORK/err" </dev/null &
fg=$!
live=0
for ((i = 0; i < 600; i++)); do # bounded: 30 s
	if [ -b /dev/ublkb9 ] && [ "$(list_field 9 state)" = '"LIVE"' ]; then
		live=1
		break
	fi
	pid_alive "$fg" || break
	sleep 0.05 # poll step of a bounded wait
done
if [ "$live" = 0 ]; then
	cat "$WORK/out" "$WORK/err"
	fail "the foreground device did not become LIVE within 30 s"
fi
[ "$(list_field 9 daemon_pid)" = "$fg" ] ||
	fail "daemon_pid is $(list_field 9 daemon_pid), not the foreground process $fg"
fio_run randread --filename=/dev/ublkb9 --rw=randread --iodepth=8 --size=4M

must timeout 60 ublk del -n 9
wait_pid_gone "$fg" 20 || fail "the foreground process still runs after del"
wait "$fg"
rc=$?
echo "foreground add exited with $rc; stdout: $(cat "$WORK/out")"
[ "$rc" -eq 0 ] || fail "the foreground add exited with $rc after del: $(cat "$WORK/err")"
wait_gone /dev/ublkb9 10 || fail "/dev/ublkb9 still exists"
assert_list_empty
