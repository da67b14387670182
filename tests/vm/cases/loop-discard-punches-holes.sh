#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: blkdiscard on a loop device punches holes in the backing file: its allocated blocks drop and the range reads back as zeros
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

backing_file "$WORK/backing" 64M
id=$(ublk_add -t loop -f "$WORK/backing") || fail "ublk add -t loop failed"
dev=/dev/ublkb$id

max=$(cat "/sys/block/ublkb$id/queue/discard_max_bytes")
[ "$max" -gt 0 ] || fail "the device does not advertise discard (discard_max_bytes 0) on a tmpfs backing file"

# write 16 MiB at 8 MiB
must dd if=/dev/urandom of="$dev" bs=1M seek=8 count=16 oflag=direct status=none
before=$(alloc_bytes "$WORK/backing")
echo "allocated after writing 16 MiB: $before bytes"
[ "$before" -ge $((16 * MIB)) ] || fail "the backing file has only $before bytes allocated after a 16 MiB write"

# discard 8 MiB of it
must blkdiscard -o $((12 * MIB)) -l $((8 * MIB)) "$dev"
after=$(alloc_bytes "$WORK/backing")
echo "allocated after discarding 8 MiB: $after bytes"
[ "$after" -le $((before - 8 * MIB)) ] || fail "discard did not free 8 MiB in the backing file ($before -> $after)"

# the discarded range reads as zeros, through the device and in the file
must dd if="$dev" of="$WORK/readback" bs=1M skip=12 count=8 iflag=direct status=none
cmp -n $((8 * MIB)) "$WORK/readback" /dev/zero || fail "the discarded range does not read back as zeros"
# the data around it is intact
must dd if="$dev" of="$WORK/head" bs=1M skip=8 count=4 iflag=direct status=none
must dd if="$WORK/backing" of="$WORK/head.file" bs=1M skip=8 count=4 status=none
cmp "$WORK/head" "$WORK/head.file" || fail "data before the discarded range differs"
if cmp -s -n $((4 * MIB)) "$WORK/head" /dev/zero; then
	fail "data before the discarded range was zeroed"
fi

ublk_del "$id"
assert_list_empty
