#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target, 2 queues: nbdkit (file plugin) is killed (SIGKILL) and started again while fio writes and again while it verifies; the IO is held and sent again, fio's verify passes without an error
# Timeout: 400
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit

backing_file "$WORK/disk.img" 64M
nbdkit_start file file "$WORK/disk.img"
id=$(ublk_add -t nbd -q 2 --uri "${NBD_URI[file]}") || fail "ublk add -t nbd failed"
dev=/dev/ublkb$id

# write 24 MiB at random with checksums, then read it all back and verify
timeout 300 fio --name=restart --filename="$dev" --ioengine=io_uring --direct=1 \
	--rw=randwrite --bsrange=4k-64k --size=24M --iodepth=16 --numjobs=1 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_backlog=0 \
	--output-format=json --output="$WORK/fio.json" >"$WORK/fio.log" 2>&1 &
fio_pid=$!

# SIGKILL, as a crash: nbdkit ends on SIGTERM only once its clients have
# disconnected, and serves them until then
restarts=0
for round in 1 2; do
	read -r r w < <(disk_ios "$dev")
	# the first restart while fio writes, the second while it reads back
	# and verifies; some IO first, so that requests are in flight
	if [ "$round" -eq 1 ]; then
		wait_for_io "$dev" 0 $((w + 200)) "$fio_pid"
	else
		wait_for_io "$dev" $((r + 200)) 0 "$fio_pid"
	fi
	log "restart $round: SIGKILL to nbdkit after $r reads and $w writes"
	nbd_server_restart file KILL
	restarts=$((restarts + 1))
	pid_alive "$fio_pid" || fail "fio ended before the server came back: nothing was held"
done
wait "$fio_pid"
rc=$?
if [ "$rc" -ne 0 ]; then
	cat "$WORK/fio.log"
	fail "fio exited with $rc after $restarts server restarts"
fi
jq -e '.jobs[0].error == 0' "$WORK/fio.json" >/dev/null || fail "fio reported an error"
jq -r '.jobs[0] | "fio: written \(.write.io_bytes / 1048576 | floor) MiB, verified \(.read.io_bytes / 1048576 | floor) MiB"' "$WORK/fio.json"
[ "$(jq '.jobs[0].read.io_bytes' "$WORK/fio.json")" -ge $((24 * MIB)) ] || fail "fio verified less than 24 MiB"

# the server's file holds what the device shows
dev_readback "$dev" "$WORK/via-dev"
ublk_del "$id"
nbd_server_stop file
cmp "$WORK/via-dev" "$WORK/disk.img" || fail "the backing file differs from what the device showed"
assert_list_empty
