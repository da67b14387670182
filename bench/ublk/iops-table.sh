#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: fio 4k random IOPS and mean latency at iodepth 1 and 32: kernel null_blk vs the ublk null target (1 and 2 queues), kernel loop (direct IO) vs the ublk loop target (read and write)
# Timeout: 1500
#
# Runs inside the test VM (bench/run boots it).  Absolute numbers under TCG
# mean little: compare the ratios, which come from one boot.  CPU placement
# is fixed: with one queue, fio runs on CPU 1 and the ublk daemon on CPU 0;
# with two queues, one fio job per CPU and each ublk queue thread on the CPU
# the kernel maps to it.  BENCH_RUNTIME (seconds, default 6, at most 10) is
# the length of each fio run.

lib=$(dirname "$0")/../lib.sh
[ -f "$lib" ] || lib=$(dirname "$0")/../../tests/vm/lib.sh
# shellcheck source-path=SCRIPTDIR source=../../tests/vm/lib.sh
. "$lib"

bench_init
NULL_DEPTH=128
LOOP_SIZE=256M

# measure DEV RW QD JOBS CPUS -> "IOPS MEAN_LATENCY_US"
measure() {
	bench_fio "$1" "$2" "$3" --numjobs="$4" --cpus_allowed="$5" \
		--cpus_allowed_policy=split --group_reporting
}

# pin_daemon ID CPU: move every thread of device ID's daemon to CPU
pin_daemon() {
	local pid
	pid=$(list_field "$1" daemon_pid)
	must taskset -a -p -c "$2" "$pid" >/dev/null
}

declare -A R # R[row,qd,side] = "IOPS LAT"

run_pair() { # ROW SIDE DEV RW JOBS CPUS
	local row=$1 side=$2 dev=$3 rw=$4 jobs=$5 cpus=$6 qd
	for qd in 1 32; do
		R[$row,$qd,$side]=$(measure "$dev" "$rw" "$qd" "$jobs" "$cpus")
		[ "${R[$row,$qd,$side]}" != error ] || fail "fio reported an error: $row QD$qd ($side)"
		bench_progress "$row QD$qd $side: ${R[$row,$qd,$side]}"
	done
}

bench_progress "measuring, ${RUNTIME}s per run"

# --- null ----------------------------------------------------------------------
for nq in 1 2; do
	if [ "$nq" = 1 ]; then jobs=1 cpus=1; else jobs=2 cpus=0,1; fi
	load_module null_blk nr_devices=1 queue_mode=2 irqmode=0 gb=250 \
		submit_queues="$nq" hw_queue_depth="$NULL_DEPTH"
	wait_for_path /dev/nullb0 10 || fail "/dev/nullb0 did not appear"
	run_pair "null-${nq}q" kernel /dev/nullb0 randread "$jobs" "$cpus"
	must rmmod null_blk

	id=$(ublk_add -t null -q "$nq" -d "$NULL_DEPTH") || fail "ublk add -t null -q $nq failed"
	[ "$nq" = 1 ] && pin_daemon "$id" 0
	run_pair "null-${nq}q" ublk "/dev/ublkb$id" randread "$jobs" "$cpus"
	ublk_del "$id"
done

# --- loop ----------------------------------------------------------------------
backing=$WORK/backing
rm -f "$backing"
must fallocate -l "$LOOP_SIZE" "$backing"

load_module loop
kdev=$(losetup --direct-io=on --show -f "$backing") || fail "losetup --direct-io=on failed"
dio=$(cat "/sys/block/${kdev#/dev/}/loop/dio" 2>/dev/null)
[ "$dio" = 1 ] || fail "kernel loop $kdev does not use direct IO (dio=$dio)"
run_pair loop-read kernel "$kdev" randread 1 1
run_pair loop-write kernel "$kdev" randwrite 1 1
must losetup -d "$kdev"

id=$(ublk_add -t loop -q 1 -f "$backing") || fail "ublk add -t loop failed"
pin_daemon "$id" 0
run_pair loop-read ublk "/dev/ublkb$id" randread 1 1
run_pair loop-write ublk "/dev/ublkb$id" randwrite 1 1
ublk_del "$id"

# --- table ---------------------------------------------------------------------
echo "ublk bench: kernel $(uname -r), $(nproc) vCPUs under TCG, fio io_uring 4k random, ${RUNTIME}s per run"
echo "kernel = null_blk (null rows) or loop with direct IO (loop rows); ublk = our target; ratio = ublk/kernel IOPS"
printf '%-12s %4s  %11s %9s  %11s %9s  %7s\n' case QD "kernel IOPS" "lat us" "ublk IOPS" "lat us" ratio
for row in null-1q null-2q loop-read loop-write; do
	for qd in 1 32; do
		read -r ki kl <<<"${R[$row,$qd,kernel]}"
		read -r ui ul <<<"${R[$row,$qd,ublk]}"
		printf '%-12s %4s  %11d %9.1f  %11d %9.1f  %7s\n' "$row" "$qd" "$ki" "$kl" "$ui" "$ul" "$(bench_ratio "$ui" "$ki")"
	done
done

target() { # LABEL ROW MIN
	local ki ui
	read -r ki _ <<<"${R[$2,32,kernel]}"
	read -r ui _ <<<"${R[$2,32,ublk]}"
	bench_target "$1" "$ui" "$ki" "$3"
}
target "null 1 queue QD32 vs null_blk" null-1q 0.9
target "null 2 queues QD32 vs null_blk" null-2q 0.9
target "loop read QD32 vs kernel loop" loop-read 0.8
target "loop write QD32 vs kernel loop" loop-write 0.8
assert_list_empty
