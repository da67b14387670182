#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target on a read-only export (nbdkit -r): the device is read-only (blockdev, ublk list), reads return the export's data, writes fail with an error and nothing reaches the server
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit nbdcopy

head -c $((16 * MIB)) /dev/urandom >"$WORK/disk.img"
nbdkit_start ro -r file "$WORK/disk.img"
id=$(ublk_add -t nbd -q 2 --uri "${NBD_URI[ro]}") || fail "ublk add -t nbd of a read-only export failed"
dev=/dev/ublkb$id

[ "$(blockdev --getro "$dev")" = 1 ] || fail "$dev is not read-only"
[ "$(list_field "$id" read_only)" = true ] || fail "ublk list does not show the device read-only"
[ "$(cat "/sys/block/ublkb$id/ro")" = 1 ] || fail "/sys/block/ublkb$id/ro is not 1"

dev_readback "$dev" "$WORK/via-dev"
cmp "$WORK/via-dev" "$WORK/disk.img" || fail "$dev does not read back the export"

sum=$(sha256sum <"$WORK/disk.img")
if head -c 4096 /dev/zero | dd of="$dev" bs=4k count=1 oflag=direct status=none 2>"$WORK/dd.err"; then
	fail "a write to the read-only device succeeded"
fi
echo "write refused: $(cat "$WORK/dd.err")"
if fio --name=ro --filename="$dev" --rw=write --bs=4k --size=1M --direct=1 \
	--ioengine=io_uring --readonly=0 >"$WORK/fio.log" 2>&1; then
	fail "fio wrote to the read-only device"
fi
[ "$(sha256sum <"$WORK/disk.img")" = "$sum" ] || fail "the export changed"

ublk_del "$id"
nbd_server_stop ro
assert_list_empty
