#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: ext4 on a loop device: files written, fsck clean after unmount, and the same files with the same checksums after re-adding the backing file
# Sanitizers: no, data volume: ext4 through the loop target, whose paths run sanitized in loop-verify, loop-write-zeroes and loop-discard-punches-holes
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

backing_file "$WORK/backing" 128M
id=$(ublk_add -t loop -q 2 -f "$WORK/backing") || fail "ublk add -t loop failed"
dev=/dev/ublkb$id

must mkfs.ext4 -q -F "$dev"
mkdir -p "$WORK/mnt"
must mount -t ext4 "$dev" "$WORK/mnt"
for i in 1 2 3 4; do
	head -c $((i * 3 * MIB + 12345)) /dev/urandom >"$WORK/mnt/file$i" || fail "writing file$i failed"
done
mkdir "$WORK/mnt/dir"
for i in $(seq 50); do
	echo "small file $i" >"$WORK/mnt/dir/s$i"
done
(cd "$WORK/mnt" && find . -type f | sort | xargs sha256sum) >"$WORK/sums" || fail "sha256sum failed"
must umount "$WORK/mnt"

out=$(e2fsck -fn "$dev" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "e2fsck -fn found problems (exit $rc)"

ublk_del "$id"
assert_list_empty

# the same backing file again: same files, same contents
id=$(ublk_add -t loop -f "$WORK/backing") || fail "re-adding the backing file failed"
dev=/dev/ublkb$id
must mount -t ext4 "$dev" "$WORK/mnt"
(cd "$WORK/mnt" && sha256sum -c --quiet "$WORK/sums") || fail "checksums differ after re-attaching"
[ "$(find "$WORK/mnt" -type f | wc -l)" -eq 54 ] || fail "the file system does not hold 54 files"
must umount "$WORK/mnt"
out=$(e2fsck -fn "$dev" 2>&1) || { echo "$out"; fail "e2fsck -fn after re-attach found problems"; }

ublk_del "$id"
assert_list_empty
