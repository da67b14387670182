#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a loop device with -r 1 -i 1 survives kill -9 of its daemon during fio write+verify, 4 times each with 1 and 2 queues (3 in the sanitizer pass, 30 with scripts/test --long): IO waits, `ublk recover` takes over, fio finishes with no error and its verify passes
# Timeout: 900
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

CYCLES=$(by_run_length 4 3 30)
verified=0

# one fio write+verify pass in the background; sets FIO_PID, FIO_JSON
fio_start() {
	FIO_JSON=$WORK/fio-$1.json
	fio --name=verify --filename="$2" --ioengine=io_uring --direct=1 \
		--rw=randwrite --bsrange=4k-8k --size=8M --iodepth=16 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --randseed="$1" \
		--output-format=json --output="$FIO_JSON" >"$WORK/fio.log" 2>&1 &
	FIO_PID=$!
}

for nq in 1 2; do
	log "$nq queue(s), $CYCLES kill -9 and recover cycles"
	backing_file "$WORK/backing" 64M
	id=$(ublk_add -t loop -q "$nq" -f "$WORK/backing" -r 1 -i 1) || fail "ublk add -r 1 -i 1 failed"
	dev=/dev/ublkb$id
	flags=$(list_field "$id" flags)
	grep -q USER_RECOVERY_REISSUE <<<"$flags" || fail "device $id lacks USER_RECOVERY_REISSUE: $flags"

	for ((c = 1; c <= CYCLES; c++)); do
		read -r r0 w0 < <(disk_ios "$dev")
		old=$(daemon_pid "$id")
		fio_start "$nq$c" "$dev"
		# odd cycles kill during the writes, even ones during the verify reads,
		# early in each (a phase is about 1350 requests)
		if ((c % 2)); then
			wait_for_io "$dev" 0 $((w0 + 150 + 50 * c)) "$FIO_PID"
			phase=write
		else
			wait_for_io "$dev" $((r0 + 100 + 50 * c)) 0 "$FIO_PID"
			phase=verify
		fi
		kill_daemon "$old"
		wait_state "$id" QUIESCED 10 || fail "cycle $c: device $id did not wait for recovery"
		# IO is held, not failed: fio is still there
		if ! pid_alive "$FIO_PID"; then
			wait "$FIO_PID"
			echo "fio exit status $?"
			cat "$WORK/fio.log"
			jq -c '.jobs[0] | {error, r: .read.io_bytes, w: .write.io_bytes}' "$FIO_JSON"
			disk_ios "$dev"
			fail "cycle $c: fio ended while no daemon served $dev"
		fi
		ublk_recover "$id"
		new=$(list_field "$id" daemon_pid)
		[ "$new" != "$old" ] || fail "cycle $c: the daemon pid did not change"
		wait_pid_gone "$FIO_PID" 120 || fail "cycle $c: fio did not finish within 120 s of the recovery"
		wait "$FIO_PID"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			cat "$WORK/fio.log"
			fail "cycle $c (killed during the $phase phase): fio exited with $rc"
		fi
		jq -e '.jobs[0].error == 0' "$FIO_JSON" >/dev/null || fail "cycle $c: fio reported an error"
		bytes=$(jq '.jobs[0].read.io_bytes' "$FIO_JSON")
		[ "$bytes" -ge $((8 * MIB)) ] || fail "cycle $c: fio verified only $bytes bytes"
		verified=$((verified + bytes))
		echo "cycle $c: killed daemon $old during the $phase phase, recovered by $new; $((bytes / MIB)) MiB verified"
	done
	ublk_del "$id"
	assert_list_empty
done
echo "survived $((2 * CYCLES)) kill -9 and recover cycles; $((verified / MIB)) MiB verified, 0 errors"
