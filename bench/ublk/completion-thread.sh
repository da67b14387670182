#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: fio 4k random read IOPS and mean latency at iodepth 1 and 32: requests completed on the queue thread vs from a worker thread (ublk_complete() across threads)
# Timeout: 600
#
# Runs inside the test VM (bench/run boots it, in the same boot as
# iops-table.sh).  Both sides are ublk-testdev (1 queue of depth 128,
# library buffers, RAM store): -j 0 completes in the handle_io callback on
# the queue thread (demo_null's shape), -j 1 hands every request to a worker
# thread that completes it (demo_event's shape).  CPU placement is fixed as
# in iops-table.sh: every thread of the device on CPU 0, fio on CPU 1.
# BENCH_RUNTIME (seconds, default 6, at most 10) is the length of each run.

lib=$(dirname "$0")/../lib.sh
[ -f "$lib" ] || lib=$(dirname "$0")/../../tests/vm/lib.sh
# shellcheck source-path=SCRIPTDIR source=../../tests/vm/lib.sh
. "$lib"

bench_init

command -v ublk-testdev >/dev/null || fail "ublk-testdev is not in the VM (tests/vm/progs)"

# measure DEV QD -> "IOPS MEAN_LATENCY_US" (4k random read, fio on CPU 1)
measure() {
	bench_fio "$1" randread "$2" --numjobs=1 --cpus_allowed=1
}

declare -A R # R[side,qd] = "IOPS LAT"
for side in queue worker; do
	if [ "$side" = queue ]; then workers=0; else workers=1; fi
	fg_start "testdev-j$workers" ublk-testdev --buf library --style callback -j "$workers" \
		-q 1 -d 128 -s 1024 >/dev/null
	must taskset -a -p -c 0 "$FG_PID" >/dev/null
	for qd in 1 32; do
		R[$side,$qd]=$(measure "$FG_DEV" "$qd")
		[ "${R[$side,$qd]}" != error ] || fail "fio reported an error: $side QD$qd"
		bench_progress "completion $side QD$qd: ${R[$side,$qd]}"
	done
	fg_stop 60 >/dev/null
	cross=$(testdev_field cross_thread)
	req=$(testdev_field requests)
	if [ "$workers" = 0 ]; then
		[ "$cross" = 0 ] || fail "ublk-testdev -j 0 completed $cross requests off the queue thread"
	else
		[ "$cross" = "$req" ] || fail "ublk-testdev -j 1 completed only $cross of $req requests from the worker"
	fi
done

echo "completion thread: kernel $(uname -r), $(nproc) vCPUs under TCG, fio io_uring 4k random read, ${RUNTIME}s per run"
echo "queue = completed in handle_io on the queue thread (ublk-testdev -j 0); worker = completed by a worker thread (-j 1); ratio = worker/queue IOPS"
printf '%-12s %4s  %11s %9s  %11s %9s  %7s\n' case QD "queue IOPS" "lat us" "worker IOPS" "lat us" ratio
for qd in 1 32; do
	read -r qi ql <<<"${R[queue,$qd]}"
	read -r wi wl <<<"${R[worker,$qd]}"
	printf '%-12s %4s  %11d %9.1f  %11d %9.1f  %7s\n' randread "$qd" "$qi" "$ql" "$wi" "$wl" "$(bench_ratio "$wi" "$qi")"
done
read -r qi _ <<<"${R[queue,32]}"
read -r wi _ <<<"${R[worker,32]}"
bench_target "worker completion QD32 vs queue thread" "$wi" "$qi" 0.9
read -r qi _ <<<"${R[queue,1]}"
read -r wi _ <<<"${R[worker,1]}"
echo "worker completion QD1 vs queue thread: $(bench_ratio "$wi" "$qi") (reported, no target)"
assert_list_empty
