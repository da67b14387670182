#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: library users stop and delete their device (ublk_ctrl_stop, ublk_ctrl_del) on SIGINT while fio reads, writes or both: the examples and ublk-testdev in each buffer mode exit 0 within 10 s, fio ends on an IO error within 10 s, every buffer given comes back, nothing remains
# Allow-IO-errors: yes
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# fg_interrupt WHAT: SIGINT the program fg_start started, with a load on its
# device: it must exit 0 within 10 s, the load end on an IO error
fg_interrupt() {
	local what=$1 rc start ms
	start=$(now_ms)
	kill -INT "$FG_PID" || fail "$what: not running"
	wait_pid_gone "$FG_PID" 10 || fail "$what: still runs 10 s after SIGINT"
	ms=$(($(now_ms) - start))
	wait "$FG_PID"
	rc=$?
	[ "$rc" -eq 0 ] || fail "$what: exited with $rc after SIGINT: $(cat "$FG_ERR")"
	load_failed "$what"
	assert_no_dstate "$what"
	assert_list_empty
	echo "$what: exited 0 $ms ms after SIGINT, fio ended with status $LOAD_RC"
}

backing_file "$WORK/backing" 64M
fg_start demo_null demo_null
io_load "$FG_DEV" randread 1
fg_interrupt "demo_null, randread"

fg_start demo_event demo_event -s 64
io_load "$FG_DEV" randread 1
fg_interrupt "demo_event, randread"

fg_start demo_event_loop demo_event_loop "$WORK/backing" -j 4
io_load "$FG_DEV" randrw 1
fg_interrupt "demo_event_loop -j 4, randrw"

# Each buffer mode's path for a request failed by the stop: reads in
# library mode, writes waiting for a backend buffer, a mix in user copy.
modes=" $(buffer_modes | tr '\n' ' ') "
for spec in library:callback:0:randread backend:pull:4:randwrite user-copy:callback:2:randrw; do
	IFS=: read -r mode style workers rw <<<"$spec"
	[[ $modes == *" $mode "* ]] || continue # buffer_modes said why
	fg_start "testdev-$mode" ublk-testdev --buf "$mode" --style "$style" -j "$workers" -q 2 -d 64 -s 64
	io_load "$FG_DEV" "$rw" 1
	fg_interrupt "ublk-testdev --buf $mode --style $style -j $workers, $rw"
	grep '^testdev: ' "$FG_OUT"
	[ "$(testdev_field violations)" = 0 ] || fail "ublk-testdev --buf $mode counted violations"
	[ "$(testdev_field provided)" = "$(testdev_field returned)" ] ||
		fail "ublk-testdev --buf $mode: $(testdev_field provided) buffers given, $(testdev_field returned) returned"
done
