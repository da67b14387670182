#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target: discard becomes an NBD trim, write-zeroes an NBD zero (no-hole when asked), fsync an NBD flush and a FUA write carries FUA, as nbdkit's log filter records; the data reads back as zeroes through a second client; a server without zero gets a device without write-zeroes, whose zeroing the kernel does with writes
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit nbdcopy blkdiscard

nbdkit_start logged --filter=log memory 32M logfile="$WORK/nbd.log"
id=$(ublk_add -t nbd --uri "${NBD_URI[logged]}") || fail "ublk add -t nbd failed"
dev=/dev/ublkb$id
q=/sys/block/ublkb$id/queue
echo "discard_max_bytes $(cat "$q"/discard_max_bytes), write_zeroes_max_bytes $(cat "$q"/write_zeroes_max_bytes), write_cache $(cat "$q"/write_cache), fua $(cat "$q"/fua 2>/dev/null)"
[ "$(cat "$q"/discard_max_bytes)" -gt 0 ] || fail "$dev has no discard"
[ "$(cat "$q"/write_zeroes_max_bytes)" -gt 0 ] || fail "$dev has no write-zeroes"
[ "$(cat "$q"/write_cache)" = "write back" ] || fail "$dev has no volatile write cache: FLUSH would never be sent"

# logged_ops OP: how many OP requests (Trim, Zero, Flush, Write) the server saw
logged_ops() {
	grep -c "connection=[0-9]* $1 id=" "$WORK/nbd.log"
}

head -c $((4 * MIB)) /dev/urandom >"$WORK/pattern"
sector_put "$dev" 0 "$WORK/pattern" || fail "writing 4 MiB failed"

log "flush"
before=$(logged_ops Flush)
sector_put "$dev" 0 "$WORK/pattern" conv=fsync || fail "writing with fsync failed"
[ "$(logged_ops Flush)" -gt "$before" ] || fail "fsync sent no NBD flush"

log "FUA"
before=$(grep -c ' Write id=.*fua=1' "$WORK/nbd.log")
head -c $((64 * 1024)) /dev/urandom >"$WORK/fua"
sector_put "$dev" $((8 * 2048)) "$WORK/fua" oflag=dsync || fail "writing with O_DSYNC failed"
[ "$(grep -c ' Write id=.*fua=1' "$WORK/nbd.log")" -gt "$before" ] || fail "an O_DSYNC direct write sent no FUA write"

log "trim"
must blkdiscard -o $((1 * MIB)) -l $((1 * MIB)) "$dev"
grep -E "Trim id=[0-9]+ offset=0x100000 count=0x100000" "$WORK/nbd.log" ||
	fail "blkdiscard of 1 MiB at 1 MiB did not reach the server as one trim"

log "write-zeroes"
must blkdiscard -z -o $((2 * MIB)) -l $((1 * MIB)) "$dev"
grep -E "Zero id=[0-9]+ offset=0x200000 count=0x100000 trim=0" "$WORK/nbd.log" ||
	fail "blkdiscard -z of 1 MiB at 2 MiB did not reach the server as one zero without holes (BLKZEROOUT asks for NOUNMAP)"

# what a second client reads: zeroes where zeroed (the trimmed range of
# the memory plugin reads as zeroes too), the pattern elsewhere
nbd_readback logged "$WORK/via-server"
cmp -n $((1 * MIB)) -i $((2 * MIB)):0 "$WORK/via-server" /dev/zero || fail "the zeroed range does not read back as zeroes"
cmp -n $((1 * MIB)) "$WORK/via-server" "$WORK/pattern" || fail "the first MiB lost its data"
cmp -n $((1 * MIB)) -i $((3 * MIB)):$((3 * MIB)) "$WORK/via-server" "$WORK/pattern" || fail "the fourth MiB lost its data"
cmp -n $((64 * 1024)) -i $((8 * MIB)):0 "$WORK/via-server" "$WORK/fua" || fail "the FUA write is not on the server"

ublk_del "$id"
nbd_server_stop logged

log "a server with trim and without zero"
nbdkit_start nozero --filter=log --filter=nozero memory 32M logfile="$WORK/nozero.log"
id=$(ublk_add -t nbd --uri "${NBD_URI[nozero]}") || fail "ublk add -t nbd (no zero) failed"
dev=/dev/ublkb$id
q=/sys/block/ublkb$id/queue
echo "no zero: discard_max_bytes $(cat "$q"/discard_max_bytes), write_zeroes_max_bytes $(cat "$q"/write_zeroes_max_bytes)"
[ "$(cat "$q"/discard_max_bytes)" -gt 0 ] || fail "$dev lost discard along with write-zeroes"
[ "$(cat "$q"/write_zeroes_max_bytes)" = 0 ] || fail "$dev offers write-zeroes, which its server lacks"
sector_put "$dev" 0 "$WORK/pattern" || fail "writing 4 MiB (no zero) failed"
must blkdiscard -z -o $((2 * MIB)) -l $((1 * MIB)) "$dev"
! grep -E " Zero id=" "$WORK/nozero.log" || fail "a zero request reached a server that does not offer it"
nbd_readback nozero "$WORK/via-server"
cmp -n $((1 * MIB)) -i $((2 * MIB)):0 "$WORK/via-server" /dev/zero ||
	fail "the range zeroed with writes does not read back as zeroes"
cmp -n $((2 * MIB)) "$WORK/via-server" "$WORK/pattern" || fail "the first 2 MiB lost their data"
ublk_del "$id"
nbd_server_stop nozero
assert_list_empty
