#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a backing file that can only be opened read-only gives a read-only loop device: reads work, writes fail, blockdev --getro says 1
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# As root, file modes do not stop writes: put the file on a read-only mount.
mkdir -p "$WORK/ro"
must mount -t tmpfs -o size=64M tmpfs "$WORK/ro"
head -c $((16 * MIB)) /dev/urandom >"$WORK/ro/backing" || fail "cannot write the backing file"
chmod 444 "$WORK/ro/backing"
must mount -o remount,ro "$WORK/ro"
sha=$(sha256sum <"$WORK/ro/backing")

id=$(ublk_add -t loop -f "$WORK/ro/backing") || fail "ublk add -t loop on a read-only file failed"
dev=/dev/ublkb$id
[ "$(blockdev --getro "$dev")" = 1 ] || fail "blockdev --getro $dev is not 1"

must dd if="$dev" of="$WORK/readback" bs=1M iflag=direct status=none
[ "$(sha256sum <"$WORK/readback")" = "$sha" ] || fail "reading the device does not give the backing file's contents"

if dd if=/dev/zero of="$dev" bs=4k count=1 oflag=direct status=none 2>"$WORK/dd.err"; then
	fail "writing to the read-only device succeeded"
fi
echo "write refused: $(cat "$WORK/dd.err")"
if dd if=/dev/zero of="$dev" bs=4k count=1 status=none conv=fsync 2>/dev/null; then
	fail "a buffered write to the read-only device succeeded"
fi
[ "$(sha256sum <"$WORK/ro/backing")" = "$sha" ] || fail "the backing file changed"

ublk_del "$id"
must umount "$WORK/ro"
assert_list_empty
