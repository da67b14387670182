#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a null device with 1 and with 2 queues serves fio random reads and writes without errors
# Sanitizers: no, data volume: the null target's paths run sanitized in null-add-list-del, del-under-load and recover-null
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

for nq in 1 2; do
	log "$nq queue(s)"
	id=$(ublk_add -t null -q "$nq" -d 64) || fail "ublk add -t null -q $nq failed"
	dev=/dev/ublkb$id
	[ "$(list_field "$id" nr_queues)" = "$nq" ] || fail "list --json nr_queues is not $nq"
	[ "$(list_field "$id" queue_depth)" = 64 ] || fail "list --json queue_depth is not 64"
	hw=$(find "/sys/block/ublkb$id/mq" -mindepth 1 -maxdepth 1 -type d | wc -l)
	[ "$hw" -eq "$nq" ] || fail "the kernel sees $hw hardware queues, expected $nq"

	fio_run randread --filename="$dev" --rw=randread --iodepth=32 --numjobs=2 \
		--time_based --runtime=2 --group_reporting
	fio_run randwrite --filename="$dev" --rw=randwrite --iodepth=32 --numjobs=2 \
		--time_based --runtime=2 --group_reporting
	fio_run randrw-qd1 --filename="$dev" --rw=randrw --iodepth=1 --bsrange=4k-128k \
		--time_based --runtime=1
	[ "$(list_field "$id" state)" = '"LIVE"' ] || fail "the device is no longer LIVE after IO"

	ublk_del "$id"
	assert_list_empty
done
