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
# earlier cases' devices had the same name
kerr0=$(dmesg | grep -c "I/O error, dev ublkb$id,")
fio --name=inflight --filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite \
	--bs=4k --size=64M --io_size=16G --iodepth=$DEPTH --continue_on_error=io \
	--output-format=json --output="$WORK/inflight.json" >"$WORK/fio.log" 2>&1 &
fio_pid=$!
# fio runs until it is stopped below, after the last recovery.
# A kill fails only what the daemon holds at that instant; requests the
# kernel had not handed over yet wait. At a kill that finds none held, fio
# sees no error: kill again after more IO, at most 8 times. (Usually the
# first kill finds all 16 held; in a VM whose CPUs the host shares with
# other VMs, 3 kills in a row have found none.)
kills=0
while :; do
	read -r _ w < <(disk_ios "$dev")
	wait_for_io "$dev" 0 $((w + 300)) "$fio_pid"
	# fio reports errors only at its end; the kernel logs them (rate limited)
	failed=$(($(dmesg | grep -c "I/O error, dev ublkb$id,") - kerr0))
	[ "$kills" -gt 0 ] || [ "$failed" -eq 0 ] || fail "writes failed before any kill: $(dmesg | tail -3)"
	if [ "$failed" -gt 0 ] || [ "$kills" -ge 8 ]; then
		break
	fi
	kill_daemon "$(daemon_pid "$id")"
	kills=$((kills + 1))
	wait_state "$id" QUIESCED 10 || fail "device $id did not wait for recovery"
	pid_alive "$fio_pid" || fail "fio ended while no daemon served $dev: later IO was not held: $(tail -5 "$WORK/fio.log")"
	ublk_recover "$id"
done
# the loop above saw 300 writes complete after the last recovery
kill -INT "$fio_pid"
wait_pid_gone "$fio_pid" 30 || fail "fio did not stop within 30 s of SIGINT"
wait "$fio_pid"
# fio puts its "terminating on signal" line before the JSON
sed -n '/^{/,$p' "$WORK/inflight.json" >"$WORK/inflight-clean.json"
errors=$(jq ".jobs[0].total_err" "$WORK/inflight-clean.json") || fail "no fio output: $(head -c 600 "$WORK/inflight.json")"
written=$(jq '.jobs[0].write.io_bytes' "$WORK/inflight-clean.json")
echo "fio: $errors failed writes (in flight at $kills kills), $((written / MIB)) MiB written"
# the kernel fails what the dead daemon held: at least one request in all,
# at most the queue depth per kill
[ "$errors" -ge 1 ] && [ "$errors" -le $((DEPTH * kills)) ] ||
	fail "$errors writes failed at $kills kills; expected 1..$((DEPTH * kills)) (the requests in flight at the kills)"
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
