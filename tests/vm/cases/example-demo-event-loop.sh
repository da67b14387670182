#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: demo_event_loop with 1, 4 and 8 worker threads (backend buffers) passes fio write+verify (crc32c) at iodepth 1 and 32, the data reaches its file, and it exits 0 on SIGTERM with its device gone
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

for workers in 1 4 8; do
	log "$workers worker(s)"
	backing_file "$WORK/backing" 64M
	fg_start demo_event_loop demo_event_loop "$WORK/backing" -j "$workers"
	threads=$(find "/proc/$FG_PID/task" -mindepth 1 -maxdepth 1 | wc -l)
	# main, queue and worker threads
	[ "$threads" -ge $((workers + 2)) ] ||
		fail "demo_event_loop -j $workers runs $threads threads, expected at least $((workers + 2))"
	fio_verify verify-qd1 "$FG_DEV" 2M --iodepth=1
	fio_verify verify-qd32 "$FG_DEV" 8M --iodepth=32 --bsrange=4k-128k
	# what the device returns is what the file holds
	must cmp <(dd if="$FG_DEV" bs=1M count=8 iflag=direct status=none) \
		<(dd if="$WORK/backing" bs=1M count=8 status=none)
	fg_stop 30
	assert_list_empty
done
