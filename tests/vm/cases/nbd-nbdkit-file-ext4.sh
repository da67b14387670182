#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target on nbdkit's file plugin: mkfs.ext4, mount, write files, unmount, fsck clean; the plugin's backing file equals the device and is itself a clean file system
# Sanitizers: no, data volume: ext4 through the nbd target, whose paths run sanitized in nbd-nbdkit-memory
# Timeout: 400
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit
backing_file "$WORK/disk.img" 96M
nbdkit_start file file "$WORK/disk.img"
id=$(ublk_add -t nbd -q 2 --uri "${NBD_URI[file]}") || fail "ublk add -t nbd failed"
dev=/dev/ublkb$id

must mkfs.ext4 -q -F "$dev"
mkdir -p "$WORK/mnt"
must mount "$dev" "$WORK/mnt"
head -c $((8 * MIB)) /dev/urandom >"$WORK/big"
cp "$WORK/big" "$WORK/mnt/big" || fail "cp to the file system failed"
for i in $(seq 1 50); do
	echo "file $i" >"$WORK/mnt/small.$i" || fail "writing small.$i failed"
done
want=$(sha256sum <"$WORK/big")
must umount "$WORK/mnt"
must e2fsck -fn "$dev"

# mount again: the data came back from the server
must mount "$dev" "$WORK/mnt"
[ "$(sha256sum <"$WORK/mnt/big")" = "$want" ] || fail "big differs after remount"
[ "$(cat "$WORK/mnt/small.50")" = "file 50" ] || fail "small.50 differs after remount"
must umount "$WORK/mnt"

dev_readback "$dev" "$WORK/via-dev"
ublk_del "$id"
nbd_server_stop file
cmp "$WORK/via-dev" "$WORK/disk.img" || fail "the plugin's backing file differs from what the device showed"
must e2fsck -fn "$WORK/disk.img"
assert_list_empty
