#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target: the device takes the export's block sizes (nbdkit blocksize-policy: minimum 4096, preferred 64K, maximum 256K) as logical block size, optimal IO size and largest request, and fio verifies on it; without constraints the device has 512-byte blocks
# Sanitizers: no, data volume: fio at three block sizes through the nbd target, whose paths run sanitized in nbd-nbdkit-memory and nbd-trim-zero-flush
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit

nbdkit_start bs --filter=blocksize-policy memory 32M blocksize-minimum=4096 \
	blocksize-preferred=65536 blocksize-maximum=262144 blocksize-error-policy=error
id=$(ublk_add -t nbd --uri "${NBD_URI[bs]}") || fail "ublk add -t nbd failed"
dev=/dev/ublkb$id
q=/sys/block/ublkb$id/queue
echo "logical $(cat "$q"/logical_block_size) physical $(cat "$q"/physical_block_size) optimal $(cat "$q"/optimal_io_size) max_sectors_kb $(cat "$q"/max_sectors_kb)"
[ "$(cat "$q"/logical_block_size)" = 4096 ] || fail "logical block size is not the export's minimum 4096"
[ "$(cat "$q"/optimal_io_size)" = 65536 ] || fail "optimal IO size is not the export's preferred 64K"
[ "$(cat "$q"/max_sectors_kb)" -le 256 ] || fail "requests may be larger than the export's maximum 256K"
[ "$(list_field "$id" logical_block_size)" = 4096 ] || fail "ublk list shows another logical block size"
# requests up to 1 MiB: the block layer splits them at the maximum
fio_verify bs "$dev" 8M --bsrange=4k-1m --iodepth=16
if dd if=/dev/zero of="$dev" bs=512 count=1 oflag=direct status=none 2>/dev/null; then
	fail "a 512-byte direct write was accepted by a device with 4096-byte blocks"
fi
ublk_del "$id"
nbd_server_stop bs

nbdkit_start plain memory 32M
id=$(ublk_add -t nbd --uri "${NBD_URI[plain]}") || fail "ublk add -t nbd failed"
q=/sys/block/ublkb$id/queue
[ "$(cat "$q"/logical_block_size)" = 512 ] || fail "an export without constraints does not give 512-byte blocks"
fio_verify plain "/dev/ublkb$id" 1M --bs=512 --iodepth=8
ublk_del "$id"
nbd_server_stop plain
assert_list_empty
