#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a loop device with 1 and with 2 queues (O_DIRECT) returns what fio wrote (crc32c verify), and the data lands in the backing file
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

for nq in 1 2; do
	log "$nq queue(s)"
	backing_file "$WORK/backing" 64M
	id=$(ublk_add -t loop -q "$nq" -f "$WORK/backing") || fail "ublk add -t loop -q $nq failed"
	dev=/dev/ublkb$id
	[ "$(blockdev --getsize64 "$dev")" -eq $((64 * MIB)) ] || fail "$dev is not 64 MiB like its backing file"
	[ "$(list_field "$id" target)" = '"loop"' ] || fail "list --json target is not loop"
	[ "$(list_field "$id" backing_file)" = "\"$WORK/backing\"" ] ||
		fail "list --json backing_file is $(list_field "$id" backing_file), expected $WORK/backing"
	[ "$(list_field "$id" nr_queues)" = "$nq" ] || fail "list --json nr_queues is not $nq"

	fio_verify write-verify "$dev" 32M --numjobs=1 --bsrange=4k-64k

	# a known pattern written through the device is in the backing file
	head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern"
	must dd if="$WORK/pattern" of="$dev" bs=64k seek=16 oflag=direct status=none
	cmp -n $((1 * MIB)) "$WORK/pattern" "$WORK/backing" --ignore-initial=0:$((1 * MIB)) ||
		fail "the backing file does not hold what was written at offset 1 MiB"
	# and what is in the backing file is read through the device
	head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern2"
	must dd if="$WORK/pattern2" of="$WORK/backing" bs=64k seek=512 conv=notrunc status=none
	must dd if="$dev" of="$WORK/readback" bs=64k skip=512 count=16 iflag=direct status=none
	cmp "$WORK/pattern2" "$WORK/readback" || fail "the device does not read what is in the backing file at 32 MiB"

	ublk_del "$id"
	assert_list_empty
done
