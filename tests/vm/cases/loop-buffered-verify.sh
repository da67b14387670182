#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a loop device in buffered mode (--buffered) returns what fio wrote (crc32c verify) and keeps it in the backing file
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

backing_file "$WORK/backing" 64M
id=$(ublk_add -t loop --buffered -q 2 -f "$WORK/backing") || fail "ublk add -t loop --buffered failed"
dev=/dev/ublkb$id

fio_verify write-verify "$dev" 32M --numjobs=1 --bsrange=4k-64k

head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern"
must dd if="$WORK/pattern" of="$dev" bs=64k seek=16 oflag=direct status=none
must blockdev --flushbufs "$dev"
cmp -n $((1 * MIB)) "$WORK/pattern" "$WORK/backing" --ignore-initial=0:$((1 * MIB)) ||
	fail "the backing file does not hold what was written at offset 1 MiB"

ublk_del "$id"
# after del everything written is in the backing file
cmp -n $((1 * MIB)) "$WORK/pattern" "$WORK/backing" --ignore-initial=0:$((1 * MIB)) ||
	fail "the backing file lost data after del"
assert_list_empty
