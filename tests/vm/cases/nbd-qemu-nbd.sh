#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target on qemu-nbd (named export, --shared=4 for multi-conn), 1 and 2 queues: fio write+verify passes and qemu-img compare finds the device and the export identical; without --shared a second queue is refused
# Sanitizers: no, data volume: the same nbd client paths as nbd-nbdkit-memory, against another server
# Timeout: 400
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd qemu-nbd qemu-img nbdinfo

backing_file "$WORK/q.img" 48M
sock=$WORK/q.sock
uri="nbd+unix:///disk?socket=$sock"
for nq in 1 2; do
	log "$nq queue(s)"
	rm -f "$sock"
	nbd_server_start qemu "$uri" qemu-nbd -k "$sock" -x disk -f raw --persistent --shared=4 "$WORK/q.img"
	id=$(ublk_add -t nbd -q "$nq" --uri "$uri") || fail "ublk add -t nbd -q $nq failed"
	dev=/dev/ublkb$id
	[ "$(blockdev --getsize64 "$dev")" -eq $((48 * MIB)) ] || fail "$dev is not 48 MiB like the export"
	fio_verify "verify-${nq}q" "$dev" 16M --bsrange=4k-128k --iodepth=32
	must timeout 120 qemu-img compare -f raw -F raw "$dev" "$uri"
	ublk_del "$id"
	nbd_server_stop qemu
done

# one connection at a time: no multi-conn, so one queue only
rm -f "$sock"
nbd_server_start qemu1 "$uri" qemu-nbd -k "$sock" -x disk -f raw --persistent "$WORK/q.img"
expect_error "does not offer multi-conn.*-q 1" ublk add -t nbd -q 2 --uri "$uri"
id=$(ublk_add -t nbd -q 1 --uri "$uri") || fail "ublk add -t nbd -q 1 on a single-connection server failed"
fio_verify "verify-single" "/dev/ublkb$id" 4M
ublk_del "$id"
nbd_server_stop qemu1
assert_list_empty
