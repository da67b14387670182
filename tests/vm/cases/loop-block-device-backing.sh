#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a loop device backed by a block device (a kernel ramdisk) takes its size from it and returns what fio wrote, which lands on the ramdisk
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

load_module brd rd_nr=1 rd_size=65536 # KiB: 64 MiB
wait_for_path /dev/ram0 10 || fail "/dev/ram0 did not appear"

id=$(ublk_add -t loop -q 2 -f /dev/ram0) || fail "ublk add -t loop -f /dev/ram0 failed"
dev=/dev/ublkb$id
[ "$(blockdev --getsize64 "$dev")" -eq $((64 * MIB)) ] || fail "$dev is not 64 MiB like /dev/ram0"
[ "$(list_field "$id" backing_file)" = '"/dev/ram0"' ] || fail "list --json backing_file is not /dev/ram0"

fio_verify write-verify "$dev" 16M --bsrange=4k-64k

head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern"
must dd if="$WORK/pattern" of="$dev" bs=64k seek=512 oflag=direct status=none
must dd if=/dev/ram0 of="$WORK/readback" bs=64k skip=512 count=16 iflag=direct status=none
cmp "$WORK/pattern" "$WORK/readback" || fail "/dev/ram0 does not hold what was written through $dev"

ublk_del "$id"
must rmmod brd
assert_list_empty
