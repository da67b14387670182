#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: kill -9 of the daemon of a device without recovery during fio (loop and null): fio ends with errors within 10 s, the device is deleted (ublk list empty), its supervisor exits, no D state
# Allow-IO-errors: yes
# Timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

for target in loop null; do
	if [ "$target" = loop ]; then
		backing_file "$WORK/backing" 64M
		id=$(ublk_add -t loop -q 2 -f "$WORK/backing") || fail "ublk add -t loop failed"
	else
		id=$(ublk_add -t null -q 2) || fail "ublk add -t null failed"
	fi
	dev=/dev/ublkb$id
	pid=$(daemon_pid "$id")
	read -r r0 w0 < <(disk_ios "$dev")
	timeout 120 fio --name=busy --filename="$dev" --ioengine=io_uring --direct=1 \
		--rw=randrw --bs=4k --size=64M --time_based --runtime=60 --iodepth=32 \
		>"$WORK/fio.log" 2>&1 &
	fio_pid=$!
	wait_for_io "$dev" $((r0 + 150)) $((w0 + 150)) "$fio_pid"
	start=$(now_ms)
	kill_daemon "$pid"
	wait_pid_gone "$fio_pid" 10
	ms=$(($(now_ms) - start))
	pid_alive "$fio_pid" && fail "$target: fio still runs 10 s after its daemon was killed"
	wait "$fio_pid"
	frc=$?
	[ "$frc" -ne 0 ] || fail "$target: fio ended without an error although its daemon died"
	wait_gone "/dev/ublkc$id" 10 || fail "$target: device $id was not deleted after its daemon died"
	assert_list_empty
	assert_no_daemon
	d=$(dstate_pids)
	[ -z "$d" ] || fail "$target: processes in D state: $d"
	echo "$target: fio ended (status $frc) $ms ms after kill -9, device deleted"
done
