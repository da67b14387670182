#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: `ublk del` while fio runs, 10 times (4 in the sanitizer pass; loop and null, 1 and 2 queues): each del returns within 10 s, fio ends with errors instead of hanging, no process is left in D state, nothing remains
# Allow-IO-errors: yes
# Timeout: 600
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# fewer cycles in the sanitizer pass, whose programs run several times slower
CYCLES=10
[ -z "${UBLKVM_SANITIZE:-}" ] || CYCLES=4
longest=0
for c in $(seq 1 "$CYCLES"); do
	nq=$((c % 2 + 1))
	if ((c <= CYCLES / 2)); then
		backing_file "$WORK/backing" 64M
		id=$(ublk_add -t loop -q "$nq" -f "$WORK/backing") || fail "ublk add -t loop failed"
	else
		id=$(ublk_add -t null -q "$nq") || fail "ublk add -t null failed"
	fi
	dev=/dev/ublkb$id
	pid=$(daemon_pid "$id")
	read -r r0 w0 < <(disk_ios "$dev")
	timeout 120 fio --name=busy --filename="$dev" --ioengine=io_uring --direct=1 \
		--rw=randrw --bs=4k --size=64M --time_based --runtime=60 --iodepth=32 \
		--numjobs=2 >"$WORK/fio.log" 2>&1 &
	fio_pid=$!
	wait_for_io "$dev" $((r0 + 150)) $((w0 + 150)) "$fio_pid"
	start=$(now_ms)
	timeout 30 ublk del -n "$id" >"$WORK/del.out" 2>&1
	rc=$?
	ms=$(($(now_ms) - start))
	[ "$rc" -ne 124 ] || fail "cycle $c: ublk del -n $id hung for 30 s"
	[ "$rc" -eq 0 ] || fail "cycle $c: ublk del -n $id exited with $rc: $(cat "$WORK/del.out")"
	[ "$ms" -le 10000 ] || fail "cycle $c: ublk del took $ms ms"
	((ms > longest)) && longest=$ms
	# fio sees the device go: it ends with errors, within 10 s
	wait_pid_gone "$fio_pid" 10
	pid_alive "$fio_pid" && fail "cycle $c: fio still runs 10 s after del"
	wait "$fio_pid"
	frc=$?
	[ "$frc" -ne 124 ] || fail "cycle $c: fio hung"
	[ "$frc" -ne 0 ] || fail "cycle $c: fio ended without an error although its device was deleted"
	wait_pid_gone "$pid" 10 || fail "cycle $c: daemon $pid still runs after del"
	d=$(dstate_pids)
	[ -z "$d" ] || fail "cycle $c: processes in D state: $d"
	assert_list_empty
	echo "cycle $c ($(((c <= CYCLES / 2)) && echo loop || echo null), $nq queue(s)): del took $ms ms, fio ended with status $frc"
done
assert_no_daemon
echo "$CYCLES deletes under load; longest $longest ms; 0 hangs"
