#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the main job: an ext4 file system living on a ublk loop device
#
# Runs on any machine whose kernel has ublk_drv (scripts/demo runs it in a VM
# when the host's kernel has not), as root, with ublk on PATH.
set -euo pipefail

work=$(mktemp -d /tmp/ublk-demo.XXXXXX)
id=
cleanup() {
	mountpoint -q "$work/mnt" 2>/dev/null && umount "$work/mnt"
	[ -n "$id" ] && ublk del -n "$id" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n$ %s\n' "$*"; }

say "truncate -s 256M $work/disk.img"
truncate -s 256M "$work/disk.img"

say "ublk add -t loop -q 2 -f $work/disk.img"
out=$(ublk add -t loop -q 2 -f "$work/disk.img")
echo "$out"
id=$(echo "$out" | sed -n 's/^dev id \([0-9]*\):.*/\1/p')
dev=/dev/ublkb$id

say "ublk list"
ublk list

say "mkfs.ext4 -q $dev && mount $dev $work/mnt"
mkfs.ext4 -q "$dev"
mkdir -p "$work/mnt"
mount -t ext4 "$dev" "$work/mnt"

say "write files"
for i in 1 2 3; do
	head -c $((i * 8 * 1024 * 1024)) /dev/urandom >"$work/mnt/data$i"
done
echo "hello from a ublk device" >"$work/mnt/hello.txt"
sync
(cd "$work/mnt" && sha256sum data1 data2 data3 hello.txt | tee "$work/sums")

say "df -h $work/mnt"
df -h "$work/mnt"

say "umount, e2fsck -fn, remount, verify"
umount "$work/mnt"
e2fsck -fn "$dev"
mount -t ext4 "$dev" "$work/mnt"
(cd "$work/mnt" && sha256sum -c "$work/sums")
cat "$work/mnt/hello.txt"
umount "$work/mnt"

say "ublk del -n $id"
ublk del -n "$id"
id=
ublk list
echo
echo "demo: OK"
