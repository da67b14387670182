#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a null device added with defaults shows correctly in list and list --json, and del removes it and stops its daemon
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

assert_list_empty

# add must release its stdout: a daemon holding it would hang $(ublk add)
timeout 60 bash -c 'ublk add -t null | cat' >"$WORK/add.out" 2>&1
rc=$?
cat "$WORK/add.out"
[ "$rc" -ne 124 ] || fail "'ublk add | cat' did not finish: the daemon keeps add's stdout open"
[ "$rc" -eq 0 ] || fail "ublk add -t null exited with $rc"
grep -Eq '^dev id [0-9]+: /dev/ublkb[0-9]+$' "$WORK/add.out" ||
	fail "unexpected add output: $(cat "$WORK/add.out")"
[[ $(cat "$WORK/add.out") =~ ([0-9]+) ]]
id=${BASH_REMATCH[1]}
dev=/dev/ublkb$id
grep -q ": $dev\$" "$WORK/add.out" || fail "add printed another device than $dev"
[ -b "$dev" ] || fail "$dev is not a block device after add returned"
[ -c "/dev/ublkc$id" ] || fail "/dev/ublkc$id is not a character device"

# the kernel's view
size=$(blockdev --getsize64 "$dev") || fail "blockdev --getsize64 $dev failed"
[ "$size" -eq $((250 * GIB)) ] || fail "$dev is $size bytes, expected 250 GiB"

# ublk list --json
json=$(list_json)
echo "$json"
jq -e 'length == 1' >/dev/null <<<"$json" || fail "list --json shows $(jq length <<<"$json") devices, expected 1"
jq -e --argjson id "$id" --argjson size $((250 * GIB)) --arg dev "$dev" \
	--arg cdev "/dev/ublkc$id" '.[0] |
	.id == $id and .state == "LIVE" and .nr_queues == 1 and
	(.queue_depth | type == "number" and . >= 1) and .size == $size and
	.target == "null" and .backing_file == null and
	.block_device == $dev and .char_device == $cdev and
	(.logical_block_size | IN(512, 4096)) and
	(.physical_block_size | type == "number" and . >= 512) and
	(.max_io_bytes | type == "number" and . > 0) and
	(.flags | type == "array") and (.daemon_pid | type == "number" and . > 0)' \
	>/dev/null <<<"$json" || fail "list --json fields are wrong"
pid=$(jq '.[0].daemon_pid' <<<"$json")
pid_alive "$pid" || fail "daemon_pid $pid is not a running process"
lbs=$(jq '.[0].logical_block_size' <<<"$json")
[ "$(blockdev --getss "$dev")" = "$lbs" ] || fail "logical block size differs from the kernel's ($(blockdev --getss "$dev"))"

# ublk list -n ID --json shows the same device
[ "$(list_json "$id" | jq -c .)" = "$(jq -c . <<<"$json")" ] ||
	fail "list -n $id --json differs from list --json"

# ublk list (text) names the device, its state, target and size
text=$(timeout 30 ublk list) || fail "ublk list failed"
echo "$text"
row=$(grep -E "^ *${id}[[:space:]]" <<<"$text") || fail "ublk list has no row for device $id"
for want in LIVE null "$pid" 268435456000; do
	grep -qw -- "$want" <<<"$row" || fail "ublk list does not show '$want' for device $id"
done

# del: the nodes go, the daemon exits, the list is empty
must timeout 60 ublk del -n "$id"
wait_gone "$dev" 10 || fail "$dev still exists after del"
wait_gone "/dev/ublkc$id" 10 || fail "/dev/ublkc$id still exists after del"
wait_pid_gone "$pid" 10 || fail "daemon $pid still runs after del"
assert_list_empty
