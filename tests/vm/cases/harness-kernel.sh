#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the guest kernel has ublk_drv loaded and kernel null_blk serves fio (checks the VM itself)
# Sanitizers: no, it checks the VM and the kernel's null_blk, no program of the project
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

[ -c /dev/ublk-control ] || fail "/dev/ublk-control is missing"
[ -d /sys/module/ublk_drv ] || fail "ublk_drv is not loaded"
[ ! -e /sys/module/null_blk ] || fail "null_blk is loaded by default"
echo "kernel $(uname -r), $(nproc) CPUs"

load_module null_blk nr_devices=1 gb=1 queue_mode=2 irqmode=0
wait_for_path /dev/nullb0 10 || fail "/dev/nullb0 did not appear"
[ "$(blockdev --getsize64 /dev/nullb0)" = "$GIB" ] || fail "/dev/nullb0 is not 1 GiB"
fio_run nullb0-randread --filename=/dev/nullb0 --rw=randread --iodepth=16 \
	--time_based --runtime=1
rmmod null_blk || fail "cannot unload null_blk"
