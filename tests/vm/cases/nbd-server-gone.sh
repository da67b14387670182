#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target: the server is killed during fio and never comes back; fio fails with IO errors within a bounded time (no hang, no D state), later IO fails at once, and del removes the device
# Allow-IO-errors: yes
# Timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit

nbdkit_start mem memory 64M
id=$(ublk_add -t nbd -q 2 --uri "${NBD_URI[mem]}") || fail "ublk add -t nbd failed"
dev=/dev/ublkb$id

timeout 120 fio --name=gone --filename="$dev" --ioengine=io_uring --direct=1 --rw=randrw \
	--bs=4k --size=64M --iodepth=16 --time_based --runtime=100 \
	--output-format=json --output="$WORK/fio.json" >"$WORK/fio.log" 2>&1 &
fio_pid=$!
wait_for_io "$dev" 200 0 "$fio_pid"
nbd_server_stop mem KILL
t0=$(now_ms)

# the reconnect attempts end within about 10 s: then the held IO fails
wait_pid_gone "$fio_pid" 40 || fail "fio still runs 40 s after the server died: IO hangs"
t1=$(now_ms)
wait "$fio_pid"
rc=$?
echo "fio ended $(((t1 - t0) / 1000)) s after the server died, exit status $rc"
[ "$rc" -ne 0 ] || fail "fio succeeded although the server is gone"
[ "$rc" -ne 124 ] || fail "fio hung until its timeout"
[ $((t1 - t0)) -ge 5000 ] || fail "fio failed within $((t1 - t0)) ms: the IO was not held for a reconnect"

# later IO fails at once
t0=$(now_ms)
if timeout 20 dd if="$dev" of=/dev/null bs=4k count=1 skip=100 iflag=direct status=none 2>/dev/null; then
	fail "a read succeeded with the server gone"
fi
t1=$(now_ms)
[ $((t1 - t0)) -lt 5000 ] || fail "a read took $((t1 - t0)) ms to fail once the connection was given up"

[ -z "$(dstate_pids)" ] || fail "processes in D state: $(dstate_pids)"
ublk_del "$id"
assert_list_empty
assert_no_daemon
