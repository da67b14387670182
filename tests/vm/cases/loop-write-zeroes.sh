#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: zeroing a range of a loop device (BLKZEROOUT, and fallocate punch-hole when write-zeroes is advertised) reads back zeros without IO errors, on tmpfs and ext4 backing files
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# an ext4 file system on a kernel ramdisk, for the second backing file
load_module brd rd_nr=1 rd_size=65536 # KiB: 64 MiB
wait_for_path /dev/ram0 10 || fail "/dev/ram0 did not appear"
must mkfs.ext4 -q -F /dev/ram0
mkdir -p "$WORK/ext4"
must mount -t ext4 /dev/ram0 "$WORK/ext4"

check() { # BACKING_FILE
	local backing=$1 id dev wz errors
	backing_file "$backing" 32M
	id=$(ublk_add -t loop -f "$backing") || fail "ublk add -t loop -f $backing failed"
	dev=/dev/ublkb$id
	wz=$(cat "/sys/block/ublkb$id/queue/write_zeroes_max_bytes")
	echo "backing $backing: write_zeroes_max_bytes $wz"
	local mark
	mark="ublkvm-mark-$RANDOM$RANDOM"
	echo "$mark" >/dev/kmsg

	must dd if=/dev/urandom of="$WORK/pattern" bs=1M count=8 status=none
	must dd if="$WORK/pattern" of="$dev" bs=1M seek=4 oflag=direct status=none

	# BLKZEROOUT of 2 MiB at 6 MiB
	must blkdiscard -z -o $((6 * MIB)) -l $((2 * MIB)) "$dev"
	must dd if="$dev" of="$WORK/zeros" bs=1M skip=6 count=2 iflag=direct status=none
	cmp -n $((2 * MIB)) "$WORK/zeros" /dev/zero || fail "BLKZEROOUT range does not read back as zeros ($backing)"

	# write-zeroes without fallback, when the device says it has it
	if [ "$wz" -gt 0 ]; then
		must fallocate --punch-hole --keep-size -o $((9 * MIB)) -l $((1 * MIB)) "$dev"
		must dd if="$dev" of="$WORK/zeros" bs=1M skip=9 count=1 iflag=direct status=none
		cmp -n $((1 * MIB)) "$WORK/zeros" /dev/zero || fail "write-zeroes range does not read back as zeros ($backing)"
	fi

	# the data around the zeroed ranges is intact
	must dd if="$dev" of="$WORK/readback" bs=1M skip=4 count=2 iflag=direct status=none
	cmp -n $((2 * MIB)) "$WORK/readback" "$WORK/pattern" || fail "data before the zeroed range changed ($backing)"
	must dd if="$dev" of="$WORK/readback" bs=1M skip=8 count=1 iflag=direct status=none
	cmp -n $((1 * MIB)) "$WORK/readback" "$WORK/pattern" --ignore-initial=0:$((4 * MIB)) ||
		fail "data between the zeroed ranges changed ($backing)"

	# and the kernel saw no failed request on the device
	errors=$(dmesg | sed -n "/$mark/,\$p" | grep "dev ublkb$id")
	[ -z "$errors" ] || fail "IO errors on $dev ($backing): $errors"
	ublk_del "$id"
}

check "$WORK/ext4/backing"
check "$WORK/backing"

must umount "$WORK/ext4"
must rmmod brd
assert_list_empty
