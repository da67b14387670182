#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target on nbdkit's memory plugin, 1 and 2 queues: fio write+verify passes, the device has the export's size, the server holds exactly what the device shows (read back through nbdcopy), and ublk recover serves a device again from its recorded URI
# Timeout: 400
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit nbdcopy nbdinfo

for nq in 1 2; do
	log "$nq queue(s)"
	nbdkit_start mem memory 48M
	uri=${NBD_URI[mem]}
	id=$(ublk_add -t nbd -q "$nq" --uri "$uri") || fail "ublk add -t nbd -q $nq failed"
	dev=/dev/ublkb$id
	[ "$(blockdev --getsize64 "$dev")" -eq $((48 * MIB)) ] || fail "$dev is not 48 MiB like the export"
	[ "$(list_field "$id" target)" = '"nbd"' ] || fail "ublk list does not show target nbd"
	[ "$(list_field "$id" uri)" = "\"$uri\"" ] || fail "ublk list does not show the URI: $(list_field "$id" uri)"
	[ "$(list_field "$id" nr_queues)" = "$nq" ] || fail "device has $(list_field "$id" nr_queues) queues, not $nq"

	fio_verify "verify-${nq}q" "$dev" 8M --bsrange=4k-128k --iodepth=32
	fio_verify "verify-${nq}q-qd1" "$dev" 2M --iodepth=1 --offset=32M

	# a pattern of our own, then the whole export through a second client
	head -c $((4 * MIB)) /dev/urandom >"$WORK/pattern"
	sector_put "$dev" $((40 * 2048)) "$WORK/pattern" conv=fsync || fail "writing the pattern failed"
	dev_readback "$dev" "$WORK/via-dev"
	nbd_readback mem "$WORK/via-server"
	cmp "$WORK/via-dev" "$WORK/via-server" || fail "the server's data differs from what $dev shows"
	cmp -n $((4 * MIB)) -i $((40 * MIB)):0 "$WORK/via-server" "$WORK/pattern" ||
		fail "the server does not hold the pattern written at 40 MiB"
	rm -f "$WORK/via-dev" "$WORK/via-server"

	ublk_del "$id"
	nbd_server_stop mem
done

log "recovery: the record keeps the URI, a new daemon connects again"
nbdkit_start mem memory 16M
uri=${NBD_URI[mem]}
id=$(ublk_add -t nbd -r 1 --uri "$uri") || fail "ublk add -t nbd -r 1 failed"
dev=/dev/ublkb$id
head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern"
sector_put "$dev" 2048 "$WORK/pattern" || fail "writing the pattern failed"
kill_daemon "$(daemon_pid "$id")"
wait_state "$id" QUIESCED 10 || fail "device $id is not QUIESCED after its daemon died"
ublk_recover "$id"
[ "$(list_field "$id" uri)" = "\"$uri\"" ] || fail "the recovered device lost its URI"
sector_get "$dev" 2048 2048 "$WORK/back" || fail "reading after recover failed"
cmp "$WORK/back" "$WORK/pattern" || fail "the data differs after recover"
ublk_del "$id"
nbd_server_stop mem
assert_list_empty
