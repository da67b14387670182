#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a null device with -r 1 -i 1 and 2 queues survives kill -9 of its daemon under fio random reads and writes: IO waits, no hang, fio completes with no error after `ublk recover`; then del leaves nothing
# Timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

id=$(ublk_add -t null -q 2 -r 1 -i 1) || fail "ublk add -t null -r 1 -i 1 failed"
dev=/dev/ublkb$id
for c in 1 2 3; do
	old=$(daemon_pid "$id")
	sup=$(daemon_pids | grep -vx "$old")
	read -r r0 w0 < <(disk_ios "$dev")
	fio --name=null-rw --filename="$dev" --ioengine=io_uring --direct=1 --rw=randrw \
		--bs=4k --size=1G --io_size=64M --iodepth=32 --numjobs=2 --group_reporting \
		--output-format=json --output="$WORK/fio.json" >"$WORK/fio.log" 2>&1 &
	fio_pid=$!
	wait_for_io "$dev" $((r0 + 1000)) $((w0 + 1000)) "$fio_pid"
	kill_daemon "$old"
	wait_state "$id" QUIESCED 10 || fail "cycle $c: device $id did not wait for recovery"
	# the supervisor leaves a recoverable device alone, and exits
	for p in $sup; do
		wait_pid_gone "$p" 10 || fail "cycle $c: supervisor $p still runs after its daemon died"
	done
	pid_alive "$fio_pid" || fail "cycle $c: fio ended while no daemon served $dev"
	ublk_recover "$id"
	wait_pid_gone "$fio_pid" 120 || fail "cycle $c: fio did not finish within 120 s of the recovery"
	wait "$fio_pid" || fail "cycle $c: fio failed: $(cat "$WORK/fio.log")"
	jq -e '.jobs[0].error == 0 and (.jobs[0].total_err // 0) == 0' "$WORK/fio.json" >/dev/null ||
		fail "cycle $c: fio reported errors: $(cat "$WORK/fio.log"; jq -c '.jobs[0] | {error, total_err}' "$WORK/fio.json")"
	echo "cycle $c: $(jq '(.jobs[0].read.io_bytes + .jobs[0].write.io_bytes) / 1048576 | floor' "$WORK/fio.json") MiB moved, no error"
done
ublk_del "$id"
assert_list_empty
assert_no_daemon
