#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: fio 4k random read and write IOPS and mean latency at iodepth 1 and 32: the ublk nbd target vs the kernel's NBD client (nbd.ko + nbd-client), both on one connection to the same nbdkit memory server, measured in alternating pairs
# Timeout: 900
#
# Runs inside the test VM (bench/run boots it, in the same boot as the
# other bench scripts).  One nbdkit (memory plugin, 256 MiB, Unix socket)
# serves both clients at once: /dev/nbd0 set up by nbd-client (netlink, one
# connection, 512-byte blocks) and a ublk nbd device with one queue of depth
# 128.  fio runs on CPU 1.  The kernel client sends each request from the
# context that submits it, fio's; the ublk queue thread, which does that
# work for our target, is pinned to the same CPU.  The server and the
# kernel's receive worker go where the scheduler puts them.
#
# The machine's speed drifts while the bench runs (TCG, a shared host), by
# up to 2x between runs a few seconds apart.  So each case is measured in
# BENCH_PAIRS pairs (default 5) of one kernel run and one ublk run back to
# back, the pairs taking turns at which side goes first; the ratio of a
# case is the median of its pairs' ratios, its IOPS and latency the medians
# of each side's runs.  BENCH_RUNTIME (seconds, default 6, at most 10) is
# the length of each fio run.

lib=$(dirname "$0")/../lib.sh
[ -f "$lib" ] || lib=$(dirname "$0")/../../tests/vm/lib.sh
# shellcheck source-path=SCRIPTDIR source=../../tests/vm/lib.sh
. "$lib"

bench_init
SIZE=256M
PAIRS=${BENCH_PAIRS:-5}
[[ $PAIRS =~ ^[1-9][0-9]?$ ]] || fail "BENCH_PAIRS must be 1 to 99, not '$PAIRS'"

require_cmd nbdkit nbd-client taskset

declare -A DEV=([kernel]=/dev/nbd0)
declare -A R # R[rw,qd,side] = IOPS values, R[rw,qd,side,lat] = latencies, R[rw,qd] = ratios

# measure SIDE RW QD: one fio run on CPU 1, its figures added to R; its
# IOPS in IOPS
measure() {
	local out lat
	out=$(bench_fio "${DEV[$1]}" "$2" "$3" --numjobs=1 --cpus_allowed=1)
	[ "$out" != error ] || fail "fio reported an error: $2 QD$3 ($1)"
	read -r IOPS lat <<<"$out"
	R[$2,$3,$1]+=" $IOPS"
	R[$2,$3,$1,lat]+=" $lat"
}

# measure_pairs RW QD
measure_pairs() {
	local rw=$1 qd=$2 i k u
	for ((i = 1; i <= PAIRS; i++)); do
		if ((i % 2)); then
			measure kernel "$rw" "$qd"; k=$IOPS
			measure ublk "$rw" "$qd"; u=$IOPS
		else
			measure ublk "$rw" "$qd"; u=$IOPS
			measure kernel "$rw" "$qd"; k=$IOPS
		fi
		R[$rw,$qd]+=" $(bench_ratio "$u" "$k" | tr -d x)"
		bench_progress "nbd $rw QD$qd pair $i: kernel $k, ublk $u IOPS"
	done
}

bench_progress "measuring, $PAIRS pairs of ${RUNTIME}s runs per case"
nbdkit_start mem memory "$SIZE"
# fill the export once, through a second client, so that reads find data
head -c "$(numfmt_bytes "$SIZE")" /dev/urandom | timeout 120 nbdcopy - "${NBD_URI[mem]}" ||
	fail "filling the export failed"

load_module nbd nbds_max=2
wait_for_path /dev/nbd0 10 || fail "/dev/nbd0 did not appear"
must timeout 60 nbd-client -unix "$WORK/mem.sock" /dev/nbd0 -b 512 -C 1 >/dev/null
for ((i = 0; i < 200; i++)); do # bounded: 10 s
	[ "$(blockdev --getsize64 /dev/nbd0 2>/dev/null)" = $((256 * MIB)) ] && break
	sleep 0.05 # poll step of the bounded wait above
done
[ "$(blockdev --getsize64 /dev/nbd0)" = $((256 * MIB)) ] || fail "/dev/nbd0 is not 256 MiB"

id=$(ublk_add -t nbd -q 1 -d 128 --uri "${NBD_URI[mem]}") || fail "ublk add -t nbd failed"
DEV[ublk]=/dev/ublkb$id
pid=$(list_field "$id" daemon_pid)
must taskset -a -p 2 "$pid" >/dev/null

for rw in randread randwrite; do
	for qd in 1 32; do
		measure_pairs "$rw" "$qd"
	done
done

ublk_del "$id"
must timeout 60 nbd-client -d /dev/nbd0 >/dev/null
nbd_server_stop mem
must rmmod nbd

# --- table ---------------------------------------------------------------------
echo "ublk nbd bench: kernel $(uname -r), $(nproc) vCPUs under TCG, nbdkit memory over a Unix socket, fio io_uring 4k random on CPU 1, $PAIRS pairs of ${RUNTIME}s runs per case"
echo "kernel = nbd.ko + nbd-client (1 connection); ublk = our nbd target (1 queue, its thread on CPU 1)"
echo "IOPS and latency: medians of each side's runs; ratio: median of the pairs' ublk/kernel IOPS (lowest-highest)"
printf '%-14s %4s  %11s %9s  %11s %9s  %7s  %s\n' case QD "kernel IOPS" "lat us" "ublk IOPS" "lat us" ratio range
for rw in randread randwrite; do
	for qd in 1 32; do
		# shellcheck disable=SC2086 # the lists are split on purpose
		printf '%-14s %4s  %11.0f %9.1f  %11.0f %9.1f  %6.2fx  %s\n' "nbd-$rw" "$qd" \
			"$(bench_median ${R[$rw,$qd,kernel]})" "$(bench_median ${R[$rw,$qd,kernel,lat]})" \
			"$(bench_median ${R[$rw,$qd,ublk]})" "$(bench_median ${R[$rw,$qd,ublk,lat]})" \
			"$(bench_median ${R[$rw,$qd]})" "$(bench_range ${R[$rw,$qd]})"
	done
done
for rw in randread randwrite; do
	# shellcheck disable=SC2086
	bench_target "nbd $rw QD32 vs kernel nbd (median of $PAIRS pairs)" "$(bench_median ${R[$rw,32]})" 1 1.0
done
assert_list_empty
