#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: where the driver has AUTO_BUF_REG (Linux 6.16+), the loop target serves with zero copy (the device is granted AUTO_BUF_REG and USER_COPY): fio write+verify at iodepth 1 and 64 and mixed random reads and writes with verify, with 1 and 2 queues, the data in the backing file, and the daemon's resident memory does not grow with the data it moves; elsewhere the device has library buffers and no AUTO_BUF_REG
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# resident KiB of process $1
rss_kib() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

features=$(timeout 30 ublk features) || fail "ublk features failed"
backing_file "$WORK/backing" 64M
if ! grep -qx AUTO_BUF_REG <<<"$features"; then
	log "the driver of $(uname -r) lacks AUTO_BUF_REG: library buffers"
	id=$(ublk_add -t loop -f "$WORK/backing") || fail "ublk add -t loop failed"
	flags=$(list_field "$id" flags)
	! grep -q -e AUTO_BUF_REG -e USER_COPY <<<"$flags" ||
		fail "device $id was granted $flags on a driver without AUTO_BUF_REG"
	pid=$(daemon_pid "$id")
	rss0=$(rss_kib "$pid")
	fio_verify qd64 "/dev/ublkb$id" 16M --iodepth=64 --bsrange=4k-512k
	# for comparison with the zero-copy runs: the buffers the data went through
	echo "daemon $pid (library buffers): resident ${rss0} KiB before, $(rss_kib "$pid") KiB after"
	ublk_del "$id"
	assert_list_empty
	exit 0
fi

for nq in 1 2; do
	log "$nq queue(s)"
	id=$(ublk_add -t loop -q "$nq" -d 64 -f "$WORK/backing") || fail "ublk add -t loop -q $nq failed"
	dev=/dev/ublkb$id
	flags=$(list_field "$id" flags)
	grep -q '"AUTO_BUF_REG"' <<<"$flags" || fail "device $id was not granted AUTO_BUF_REG: $flags"
	grep -q '"USER_COPY"' <<<"$flags" || fail "device $id was not granted USER_COPY for the fallback: $flags"
	pid=$(daemon_pid "$id")
	rss0=$(rss_kib "$pid")

	fio_verify "qd64-${nq}q" "$dev" 16M --iodepth=64 --bsrange=4k-512k
	fio_verify "qd1-${nq}q" "$dev" 2M --iodepth=1 --offset=32M
	# reads and writes at once, the writers verifying as they go
	fio_mixed_verify "$dev" 32 5

	# a pattern written through the device is in the backing file, and
	# what the file holds is read through the device
	head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern"
	sector_put "$dev" $((40 * 2048)) "$WORK/pattern" || fail "writing the pattern failed"
	cmp -n $((1 * MIB)) -i 0:$((40 * MIB)) "$WORK/pattern" "$WORK/backing" ||
		fail "the backing file does not hold what was written at 40 MiB"
	head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern2"
	must dd if="$WORK/pattern2" of="$WORK/backing" bs=1M seek=48 conv=notrunc status=none
	sector_get "$dev" $((48 * 2048)) 2048 "$WORK/readback" || fail "reading at 48 MiB failed"
	cmp "$WORK/pattern2" "$WORK/readback" || fail "the device does not read what the backing file holds at 48 MiB"

	# Library buffers would have taken up to 64 requests x 512 KiB here
	# (fio's largest requests, all in flight at once).
	rss1=$(rss_kib "$pid")
	echo "daemon $pid: resident ${rss0} KiB before, ${rss1} KiB after fio's runs"
	[ $((rss1 - rss0)) -lt 4096 ] ||
		fail "the daemon's resident memory grew by $((rss1 - rss0)) KiB: data passed through its memory"
	ublk_del "$id"
	assert_list_empty
done
