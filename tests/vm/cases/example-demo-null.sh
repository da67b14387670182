#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: demo_null serves fio writes and reads of zeroes at iodepth 1 and 32, and exits 0 on SIGTERM with its device gone
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# demo_null keeps no data: fio cannot verify what it wrote, so it writes, then
# checks that every read returns zeroes (what the example promises).
fg_start demo_null demo_null
for qd in 1 32; do
	fio_run "write-qd$qd" --filename="$FG_DEV" --rw=randwrite --iodepth="$qd" \
		--bsrange=4k-128k --size=16M
	fio_run "read-zeroes-qd$qd" --filename="$FG_DEV" --rw=randread --iodepth="$qd" \
		--bsrange=4k-128k --size=16M --verify=pattern --verify_pattern=0x00 \
		--verify_fatal=1
	[ "$FIO_READ_BYTES" -ge $((16 * MIB)) ] || fail "read-zeroes-qd$qd read only $FIO_READ_BYTES bytes"
done
fg_stop 30
assert_list_empty
