#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: with -r 1 alone the requests in flight at kill -9 fail and the rest wait; after recover a fresh write+verify of the whole device passes; with -e 1 (kernels that have it) IO fails while no daemon runs and works after recovery, elsewhere add -e 1 is refused
# Allow-IO-errors: yes
# Timeout: 600
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

DEPTH=16

log "-r 1: requests in flight at the kill fail, later ones wait"
backing_file "$WORK/backing" 64M
id=$(ublk_add -t loop -f "$WORK/backing" -r 1) || fail "ublk add -r 1 failed"
dev=/dev/ublkb$id
flags=$(list_field "$id" flags)
grep -q '"USER_RECOVERY"' <<<"$flags" || fail "device $id lacks USER_RECOVERY: $flags"
! grep -q REISSUE <<<"$flags" || fail "device $id has REISSUE without -i 1: $flags"
old=$(daemon_pid "$id")
read -r _ w0 < <(disk_ios "$dev")
fio --name=inflight --filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite \
	--bs=4k --size=48M --iodepth=$DEPTH --continue_on_error=io \
	--output-format=json --output="$WORK/inflight.json" >"$WORK/fio.log" 2>&1 &
fio_pid=$!
wait_for_io "$dev" 0 $((w0 + 500)) "$fio_pid"
kill_daemon "$old"
wait_state "$id" QUIESCED 10 || fail "device $id did not wait for recovery"
pid_alive "$fio_pid" || fail "fio ended while no daemon served $dev: later IO was not held"
ublk_recover "$id"
wait_pid_gone "$fio_pid" 120 || fail "fio did not finish within 120 s of the recovery"
wait "$fio_pid"
errors=$(jq '.jobs[0].total_err' "$WORK/inflight.json") || fail "no fio output: $(cat "$WORK/fio.log")"
written=$(jq '.jobs[0].write.io_bytes' "$WORK/inflight.json")
echo "fio: $errors failed writes (in flight at the kill), $((written / MIB)) MiB written"
# the kernel fails what the dead daemon held: at least one request, at most the queue depth
[ "$errors" -ge 1 ] && [ "$errors" -le "$DEPTH" ] ||
	fail "$errors writes failed; expected 1..$DEPTH (the requests in flight at the kill)"
[ "$written" -ge $((40 * MIB)) ] || fail "fio wrote only $written bytes: IO did not resume after recovery"
fio_verify after-recovery "$dev" 64M --bsrange=4k-64k
ublk_del "$id"
assert_list_empty

if ! timeout 30 ublk features | grep -qx USER_RECOVERY_FAIL_IO; then
	log "-e 1: this kernel lacks USER_RECOVERY_FAIL_IO, add must refuse it"
	expect_error 'lacks USER_RECOVERY_FAIL_IO.*-e 1' ublk add -t loop -f "$WORK/backing" -r 1 -e 1
	assert_list_empty
	exit 0
fi

log "-e 1: IO fails while no daemon runs, works after recovery"
id=$(ublk_add -t loop -f "$WORK/backing" -r 1 -e 1) || fail "ublk add -r 1 -e 1 failed"
dev=/dev/ublkb$id
grep -q USER_RECOVERY_FAIL_IO <<<"$(list_field "$id" flags)" || fail "device $id lacks USER_RECOVERY_FAIL_IO"
head -c $((1 * MIB)) /dev/urandom >"$WORK/pattern"
must dd if="$WORK/pattern" of="$dev" bs=64k oflag=direct status=none
kill_daemon "$(daemon_pid "$id")"
wait_state "$id" FAIL_IO 10 || fail "device $id is not failing IO"
timeout 10 dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none 2>"$WORK/dd.err"
rc=$?
[ "$rc" -ne 124 ] || fail "a read while no daemon runs hung instead of failing"
[ "$rc" -ne 0 ] || fail "a read while no daemon runs succeeded"
# EIO, or EREMOTEIO (the kernel's "target error") as 7.x reports it
grep -Eqi 'input/output error|remote I/O error' "$WORK/dd.err" || fail "the read failed otherwise: $(cat "$WORK/dd.err")"
ublk_recover "$id"
must dd if="$dev" of="$WORK/readback" bs=64k count=16 iflag=direct status=none
cmp "$WORK/pattern" "$WORK/readback" || fail "the data written before the kill differs after recovery"
fio_verify after-fail-io "$dev" 32M
ublk_del "$id"
assert_list_empty
