#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: fio 4k random read and write IOPS and mean latency at iodepth 1 and 32: the ublk nbd target vs the kernel's NBD client (nbd.ko + nbd-client), both on one connection to the same nbdkit memory server
# Timeout: 600
#
# Runs inside the test VM (bench/run boots it, in the same boot as the
# other bench scripts).  One nbdkit (memory plugin, 256 MiB, Unix socket)
# serves both clients in turn: /dev/nbd0 set up by nbd-client (netlink, one
# connection, 512-byte blocks) and a ublk nbd device with one queue of depth
# 128.  fio runs on CPU 1; the server and both clients' threads go where the
# scheduler puts them.  The export is written in full first, so that reads
# find data.  BENCH_RUNTIME (seconds, default 6, at most 10) is the length
# of each fio run.

lib=$(dirname "$0")/../lib.sh
[ -f "$lib" ] || lib=$(dirname "$0")/../../tests/vm/lib.sh
# shellcheck source-path=SCRIPTDIR source=../../tests/vm/lib.sh
. "$lib"

bench_init
SIZE=256M

require_cmd nbdkit nbd-client

# measure DEV RW QD -> "IOPS MEAN_LATENCY_US" (fio on CPU 1)
measure() {
	bench_fio "$1" "$2" "$3" --numjobs=1 --cpus_allowed=1
}

declare -A R # R[rw,qd,side] = "IOPS LAT"

run_side() { # SIDE DEV
	local side=$1 dev=$2 rw qd
	for rw in randread randwrite; do
		for qd in 1 32; do
			R[$rw,$qd,$side]=$(measure "$dev" "$rw" "$qd")
			[ "${R[$rw,$qd,$side]}" != error ] || fail "fio reported an error: $rw QD$qd ($side)"
			bench_progress "nbd $rw QD$qd $side: ${R[$rw,$qd,$side]}"
		done
	done
}

bench_progress "measuring, ${RUNTIME}s per run"
nbdkit_start mem memory "$SIZE"
# fill the export once, through a second client
head -c "$(numfmt_bytes "$SIZE")" /dev/urandom | timeout 120 nbdcopy - "${NBD_URI[mem]}" ||
	fail "filling the export failed"

# --- the kernel's client -------------------------------------------------------
load_module nbd nbds_max=2
wait_for_path /dev/nbd0 10 || fail "/dev/nbd0 did not appear"
must timeout 60 nbd-client -unix "$WORK/mem.sock" /dev/nbd0 -b 512 -C 1 >/dev/null
for ((i = 0; i < 200; i++)); do # bounded: 10 s
	[ "$(blockdev --getsize64 /dev/nbd0 2>/dev/null)" = $((256 * MIB)) ] && break
	sleep 0.05 # poll step of the bounded wait above
done
[ "$(blockdev --getsize64 /dev/nbd0)" = $((256 * MIB)) ] || fail "/dev/nbd0 is not 256 MiB"
run_side kernel /dev/nbd0
must timeout 60 nbd-client -d /dev/nbd0 >/dev/null

# --- ublk ----------------------------------------------------------------------
id=$(ublk_add -t nbd -q 1 -d 128 --uri "${NBD_URI[mem]}") || fail "ublk add -t nbd failed"
run_side ublk "/dev/ublkb$id"
ublk_del "$id"
nbd_server_stop mem
must rmmod nbd

# --- table ---------------------------------------------------------------------
echo "ublk nbd bench: kernel $(uname -r), $(nproc) vCPUs under TCG, nbdkit memory over a Unix socket, fio io_uring 4k random, ${RUNTIME}s per run"
echo "kernel = nbd.ko + nbd-client (1 connection); ublk = our nbd target (1 queue); ratio = ublk/kernel IOPS"
printf '%-12s %4s  %11s %9s  %11s %9s  %7s\n' case QD "kernel IOPS" "lat us" "ublk IOPS" "lat us" ratio
for rw in randread randwrite; do
	for qd in 1 32; do
		read -r ki kl <<<"${R[$rw,$qd,kernel]}"
		read -r ui ul <<<"${R[$rw,$qd,ublk]}"
		printf '%-12s %4s  %11d %9.1f  %11d %9.1f  %7s\n' "nbd-$rw" "$qd" "$ki" "$kl" "$ui" "$ul" "$(bench_ratio "$ui" "$ki")"
	done
done
for rw in randread randwrite; do
	read -r ki _ <<<"${R[$rw,32,kernel]}"
	read -r ui _ <<<"${R[$rw,32,ublk]}"
	bench_target "nbd $rw QD32 vs kernel nbd" "$ui" "$ki" 1.0
done
assert_list_empty
