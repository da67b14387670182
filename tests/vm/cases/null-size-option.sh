#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: -s sets the size of a null device (bytes and a G suffix), seen by the kernel and by list --json
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

id=$(ublk_add -t null -s 1G) || fail "ublk add -t null -s 1G failed"
size=$(blockdev --getsize64 "/dev/ublkb$id")
[ "$size" -eq "$GIB" ] || fail "-s 1G gave $size bytes"
[ "$(list_field "$id" size)" = "$GIB" ] || fail "list --json size is $(list_field "$id" size), expected $GIB"

id2=$(ublk_add -t null -s 33554432) || fail "ublk add -t null -s 33554432 failed"
size=$(blockdev --getsize64 "/dev/ublkb$id2")
[ "$size" -eq $((32 * MIB)) ] || fail "-s 33554432 gave $size bytes"
[ "$(list_field "$id2" size)" = $((32 * MIB)) ] || fail "list --json size is wrong for -s 33554432"

ublk_del "$id"
ublk_del "$id2"
assert_list_empty
