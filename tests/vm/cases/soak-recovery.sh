#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: soak: 4 loop devices x 2 queues with -r 1 -i 1 under mixed fio verify for 30 s (600 s with scripts/test --long, or ublkvm.soak=SECONDS) while daemons are killed at random and recovered; zero verify errors, zero IO errors, every device live at the end
# Timeout: 900
# Sanitizers: no, a soak: kill and recover under load run sanitized in recover-loop-reissue and recover-null
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# 30 s in the default suite (the sanitizer pass leaves it out); 600 s in
# the long run (scripts/test --long). Any other length:
# UBLKVM_APPEND=ublkvm.soak=SECONDS (at most 780, inside the case's time
# limit).
SECONDS_TOTAL=$(by_run_length 30 30 600)
if [ -n "${UBLKVM_SOAK:-}" ]; then
	[[ $UBLKVM_SOAK =~ ^[1-9][0-9]*$ ]] && [ "$UBLKVM_SOAK" -le 780 ] ||
		fail "ublkvm.soak=$UBLKVM_SOAK: expected 1 to 780 seconds"
	SECONDS_TOTAL=$UBLKVM_SOAK
fi
export UBLK_RUN_DIR=$WORK/run
ids=() fio_pids=()
for n in 0 1 2 3; do
	backing_file "$WORK/backing$n" 32M
	id=$(ublk_add -t loop -q 2 -d 32 -f "$WORK/backing$n" -r 1 -i 1) || fail "ublk add $n failed"
	ids+=("$id")
	# a writer verifying what it wrote as it goes, a reader across the device
	cat >"$WORK/soak$n.fio" <<-JOB
	[global]
	filename=/dev/ublkb$id
	ioengine=io_uring
	direct=1
	iodepth=4
	time_based
	runtime=$SECONDS_TOTAL
	verify_fatal=1
	[verify]
	rw=randwrite
	bsrange=4k-64k
	verify=crc32c
	verify_backlog=128
	size=32M
	[read]
	rw=randread
	bs=4k
	size=32M
	JOB
	# niced: under TCG the fio jobs would otherwise starve the kills and recoveries
	nice -n 10 fio "$WORK/soak$n.fio" --output-format=json --output="$WORK/soak$n.json" >"$WORK/soak$n.log" 2>&1 &
	fio_pids+=($!)
done

kills=0
end=$((SECONDS + SECONDS_TOTAL - 10))
while [ "$SECONDS" -lt "$end" ]; do
	# a random device, after 2 to 6 s of IO
	n=$((RANDOM % 4))
	id=${ids[$n]}
	sleep $((2 + RANDOM % 5)) # pacing: a bounded random stretch of IO between kills, not a wait for an event
	# no `ublk list` and jq here: starting them is slow in a loaded VM
	t0=$(now_ms)
	[[ $(<"$UBLK_RUN_DIR/$id.json") =~ \"daemon_pid\":\ *([0-9]+) ]] ||
		fail "device $id: no daemon pid in its record"
	old=${BASH_REMATCH[1]}
	kill_daemon "$old"
	out=$(timeout 60 ublk recover -n "$id" 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && [ "$out" = "dev id $id: /dev/ublkb$id" ] ||
		fail "device $id: ublk recover exited with $rc: $out"
	kills=$((kills + 1))
	echo "${SECONDS}s: device $id: daemon $old killed and recovered in $(($(now_ms) - t0)) ms"
done

total=0
for n in 0 1 2 3; do
	wait_pid_gone "${fio_pids[$n]}" 120 || fail "fio on device ${ids[$n]} did not finish: a request was lost"
	wait "${fio_pids[$n]}"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		head -n 20 "$WORK/soak$n.log"
		fail "fio on device ${ids[$n]} exited with $rc"
	fi
	# one jq: "errors", or the bytes the writer read back and verified
	bytes=$(jq -r 'if all(.jobs[]; .error == 0 and (.total_err // 0) == 0)
		then [.jobs[] | select(.jobname | startswith("verify")) | .read.io_bytes] | add
		else "errors" end' "$WORK/soak$n.json") || fail "cannot read fio's output for device ${ids[$n]}"
	[ "$bytes" != errors ] || fail "fio on device ${ids[$n]} reported errors"
	[ "$bytes" -gt 0 ] 2>/dev/null || fail "fio on device ${ids[$n]} verified nothing"
	total=$((total + bytes))
	[ "$(list_field "${ids[$n]}" state)" = '"LIVE"' ] || fail "device ${ids[$n]} is not live at the end"
done
for id in "${ids[@]}"; do
	ublk_del "$id"
done
assert_list_empty
assert_no_daemon
[ "$kills" -ge $((SECONDS_TOTAL / 30)) ] || fail "only $kills kills in $SECONDS_TOTAL s"
echo "soak: $kills kill -9 and recover cycles over 4 devices in ${SECONDS_TOTAL}s; $((total / MIB)) MiB verified, 0 errors"
