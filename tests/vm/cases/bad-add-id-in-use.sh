#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add with an id already in use fails with one error line; the existing device stays intact and working
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

backing_file "$WORK/backing" 32M
id=$(ublk_add -t loop -n 3 -f "$WORK/backing") || fail "ublk add -n 3 failed"
[ "$id" = 3 ] || fail "ublk add -n 3 gave device $id"
pid=$(list_field 3 daemon_pid)
before=$(list_json 3 | jq -c '.[0] | {state, nr_queues, queue_depth, size, target, backing_file, daemon_pid}')
jq -e '.state == "LIVE" and .target == "loop"' >/dev/null <<<"$before" || fail "device 3 is not a LIVE loop device: $before"
fio_verify before /dev/ublkb3 4M
head -c $((4 * MIB)) /dev/urandom >"$WORK/pattern"
must dd if="$WORK/pattern" of=/dev/ublkb3 bs=1M oflag=direct status=none

expect_error "3|in use|exists|busy" ublk add -t null -n 3
expect_error "3|in use|exists|busy" ublk add -t loop -n 3 -f "$WORK/backing"

[ -b /dev/ublkb3 ] || fail "/dev/ublkb3 is gone"
pid_alive "$pid" || fail "the daemon of device 3 died"
after=$(list_json 3 | jq -c '.[0] | {state, nr_queues, queue_depth, size, target, backing_file, daemon_pid}')
[ "$after" = "$before" ] || fail "device 3 changed: $before -> $after"
[ "$(list_json | jq length)" -eq 1 ] || fail "list --json does not show exactly one device"
# still serving IO, with the data written before
must dd if=/dev/ublkb3 of="$WORK/readback" bs=1M count=4 iflag=direct status=none
cmp "$WORK/pattern" "$WORK/readback" || fail "device 3 lost the data written before"
fio_verify after /dev/ublkb3 4M

ublk_del 3
assert_list_empty
assert_no_daemon
