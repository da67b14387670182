#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: requests beyond the size the queues read fail with EIO without reaching the backend (ublk-testdev --grow, each buffer mode and style): the last sector it knows works, one past fails, the backend sees none of them and the device stops cleanly
# Allow-IO-errors: yes
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

SECTORS=131075 # what the queues read: 64 MiB and 3 sectors
GROW=4093      # what the kernel's device has beyond that

must dd if=/dev/urandom of="$WORK/a" bs=512K count=1 status=none
must dd if=/dev/urandom of="$WORK/b" bs=512 count=8 status=none
must dd if=/dev/urandom of="$WORK/one" bs=512 count=1 status=none

# refused WHAT CMD...: CMD must fail with an I/O error
refused() {
	local what=$1
	shift
	if "$@" 2>"$WORK/err"; then
		fail "$what succeeded: the library let a request beyond the device's end through"
	fi
	grep -q 'Input/output error' "$WORK/err" ||
		fail "$what failed, but not with an I/O error: $(cat "$WORK/err")"
}

# refusals DEV: IO beyond sector SECTORS fails; up to it, it works
refusals() {
	local dev=$1 n
	n=$(blockdev --getsz "$dev") || fail "blockdev --getsz $dev failed"
	[ "$n" = $((SECTORS + GROW)) ] || fail "$dev has $n sectors, not $((SECTORS + GROW))"

	# the largest request ending at the last sector the queues know, and that sector
	sector_put "$dev" $((SECTORS - 1024)) "$WORK/a" || fail "512 KiB write up to the end failed"
	sector_put "$dev" $((SECTORS - 1)) "$WORK/one" || fail "writing the last sector failed"
	sector_get "$dev" $((SECTORS - 1)) 1 "$WORK/got" || fail "reading the last sector failed"
	cmp "$WORK/got" "$WORK/one" || fail "the last sector read back differently"

	# one past it, straddling it, and the kernel's last sector
	refused "writing one sector past the end" sector_put "$dev" "$SECTORS" "$WORK/one"
	refused "reading one sector past the end" sector_get "$dev" "$SECTORS" 1 "$WORK/got"
	refused "writing 8 sectors across the end" sector_put "$dev" $((SECTORS - 4)) "$WORK/b"
	refused "reading 8 sectors across the end" sector_get "$dev" $((SECTORS - 4)) 8 "$WORK/got"
	refused "a 512 KiB write past the end" sector_put "$dev" $((SECTORS - 1023)) "$WORK/a"
	refused "writing the kernel's last sector" sector_put "$dev" $((n - 1)) "$WORK/one"
	refused "reading the kernel's last sector" sector_get "$dev" $((n - 1)) 1 "$WORK/got"
	refused "discard across the end" \
		blkdiscard -f -o $(((SECTORS - 1) * 512)) -l 1024 "$dev"
	refused "write-zeroes across the end" \
		blkdiscard -f -z -o $(((SECTORS - 1) * 512)) -l 1024 "$dev"

	# nothing of the refused writes reached the data before the end
	sector_get "$dev" $((SECTORS - 1024)) 1024 "$WORK/got" || fail "512 KiB read up to the end failed"
	must cp "$WORK/a" "$WORK/expect"
	must dd if="$WORK/one" of="$WORK/expect" bs=512 seek=1023 conv=notrunc status=none
	cmp "$WORK/got" "$WORK/expect" || fail "the data before the end changed"
	echo "$dev: $n sectors, IO beyond sector $SECTORS failed with EIO, IO up to it worked"
}

for mode in $(buffer_modes); do
	for style in callback pull; do
		fg_start "testdev-$mode-$style" ublk-testdev --buf "$mode" --style "$style" \
			--sectors "$SECTORS" --grow "$GROW" -j 0
		refusals "$FG_DEV"
		# every request accounted for: the queues end and the program exits 0
		fg_stop
		grep '^testdev: ' "$FG_OUT"
		[ "$(testdev_field violations)" = 0 ] ||
			fail "a request beyond the end reached the backend (violations)"
		[ "$(testdev_field errors)" = 0 ] || fail "ublk-testdev counted errors"
		[ "$(testdev_field largest)" = 1024 ] ||
			fail "the largest request that reached the backend was not 1024 sectors"
		# the 512 KiB write, the last sector written and read, the 512 KiB read
		[ "$(testdev_field at_end)" = 4 ] ||
			fail "not 4 requests that end at the last sector reached the backend"
	done
done
assert_list_empty
