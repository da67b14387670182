#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the library's request checks refuse nothing valid at the boundaries: on odd-sized devices (ublk-testdev in each buffer mode and style, loop), the last sector, 512 KiB IOs ending at the end, flush, discard and write-zeroes at the end all succeed and read back as written
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

SECTORS=132099 # 64.5 MiB and 3 sectors: odd, and no whole page at the end
TAIL=2048      # the sectors at the end the checks below look at

must dd if=/dev/urandom of="$WORK/a" bs=512K count=1 status=none
must dd if=/dev/urandom of="$WORK/b" bs=512 count=1 status=none

# expect_put SECTOR FILE, expect_zero SECTOR COUNT: the same change to the
# image of the device's last TAIL sectors
expect_put() {
	must dd if="$2" of="$WORK/expect" bs=512 seek=$(($1 - N + TAIL)) conv=notrunc status=none
}
expect_zero() {
	must dd if=/dev/zero of="$WORK/expect" bs=512 count="$2" seek=$(($1 - N + TAIL)) \
		conv=notrunc status=none
}

# tail_matches WHAT: the device's last TAIL sectors read back as expected
tail_matches() {
	sector_get "$DEV" $((N - TAIL)) "$TAIL" "$WORK/got" || fail "$DEV: reading its end failed ($1)"
	cmp "$WORK/got" "$WORK/expect" || fail "$DEV: its end does not read back as written ($1)"
}

# boundary_io DEV: IO at the very end of DEV, each step checked; 10 requests
# end at the last sector (a read of the last TAIL sectors is two requests)
boundary_io() {
	DEV=$1
	N=$(blockdev --getsz "$DEV") || fail "blockdev --getsz $DEV failed"
	[ "$N" = "$SECTORS" ] || fail "$DEV has $N sectors, not $SECTORS"
	[ "$(cat "/sys/block/${DEV#/dev/}/queue/max_hw_sectors_kb")" = 512 ] ||
		fail "$DEV does not take requests of 512 KiB at most"
	sector_get "$DEV" $((N - TAIL)) "$TAIL" "$WORK/expect" || fail "$DEV: first read of its end failed"

	# the largest request, ending at the last sector; written, then read
	sector_put "$DEV" $((N - 1024)) "$WORK/a" || fail "$DEV: 512 KiB write at the end failed"
	expect_put $((N - 1024)) "$WORK/a"
	sector_get "$DEV" $((N - 1024)) 1024 "$WORK/got" || fail "$DEV: 512 KiB read at the end failed"
	cmp "$WORK/got" "$WORK/a" || fail "$DEV: the 512 KiB at the end read back differently"

	# the last sector alone, then a flush
	sector_put "$DEV" $((N - 1)) "$WORK/b" conv=fsync || fail "$DEV: writing the last sector failed"
	expect_put $((N - 1)) "$WORK/b"
	sector_get "$DEV" $((N - 1)) 1 "$WORK/got" || fail "$DEV: reading the last sector failed"
	cmp "$WORK/got" "$WORK/b" || fail "$DEV: the last sector read back differently"
	tail_matches "512 KiB and the last sector written"

	# discard of the last 5 sectors
	must blkdiscard -f -o $(((N - 5) * 512)) -l $((5 * 512)) "$DEV"
	expect_zero $((N - 5)) 5

	# write-zeroes of the last 9 sectors, over fresh data
	sector_put "$DEV" $((N - 1024)) "$WORK/a" || fail "$DEV: 512 KiB write at the end failed"
	expect_put $((N - 1024)) "$WORK/a"
	must blkdiscard -f -z -o $(((N - 9) * 512)) -l $((9 * 512)) "$DEV"
	expect_zero $((N - 9)) 9
	# 1 MiB: two requests of 512 KiB, the second ending at the last sector
	tail_matches "discard and write-zeroes at the end"
	echo "$DEV: $N sectors, IO at the end read back as written"
}

# ublk-testdev: what reached the backend, in each buffer mode and style
for mode in $(buffer_modes); do
	for style in callback pull; do
		fg_start "testdev-$mode-$style" ublk-testdev --buf "$mode" --style "$style" \
			--sectors "$SECTORS" -j 0
		boundary_io "$FG_DEV"
		fg_stop
		grep '^testdev: ' "$FG_OUT"
		[ "$(testdev_field violations)" = 0 ] || fail "ublk-testdev counted violations"
		[ "$(testdev_field errors)" = 0 ] || fail "ublk-testdev counted errors"
		[ "$(testdev_field largest)" = 1024 ] ||
			fail "the largest request that reached the backend was not 1024 sectors"
		[ "$(testdev_field at_end)" = 10 ] ||
			fail "not 10 requests that end at the last sector reached the backend"
		[ "$(testdev_field flushes)" -ge 1 ] || fail "no FLUSH reached the backend"
		[ "$(testdev_field discards)" = 1 ] || fail "not 1 DISCARD reached the backend"
		[ "$(testdev_field zeroes)" = 1 ] || fail "not 1 WRITE_ZEROES reached the backend"
	done
done

# loop, on a backing file of the same odd size (page cache: 512-byte blocks)
backing_file "$WORK/backing" $((SECTORS * 512))
id=$(ublk_add -t loop -f "$WORK/backing" --buffered) || fail "ublk add -t loop failed"
boundary_io "/dev/ublkb$id"
ublk_del "$id"
# the backing file holds what the device's end read back
must dd if="$WORK/backing" of="$WORK/got" bs=512 skip=$((SECTORS - TAIL)) status=none
cmp "$WORK/got" "$WORK/expect" || fail "the backing file's end differs from what was written"
assert_list_empty
