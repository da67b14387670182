# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the VM test cases (tests/vm/cases/*.sh) and the benchmarks
# (bench/ublk/*.sh), sourced with
#   . "$(dirname "$0")/../lib.sh"
# A case exits 0 to pass, 1 to fail (fail) and 77 to skip (skip).  Cases run
# as root inside the test VM, in a scratch directory on tmpfs ($WORK), with
# ublk_drv loaded; guest/run.sh cleans up whatever a case leaves behind, but a
# case that leaves a ublk device fails.  The helpers live in lib/ by subject:
# core (ending a case, waits, processes), devices (ublk devices, daemons,
# foreground programs), fio, nbd (NBD servers) and bench.

LIB_DIR=$(dirname "${BASH_SOURCE[0]}")/lib
# shellcheck source=lib/core.sh
. "$LIB_DIR/core.sh"
# shellcheck source=lib/devices.sh
. "$LIB_DIR/devices.sh"
# shellcheck source=lib/fio.sh
. "$LIB_DIR/fio.sh"
# shellcheck source=lib/nbd.sh
. "$LIB_DIR/nbd.sh"
# shellcheck source=lib/bench.sh
. "$LIB_DIR/bench.sh"

[ -c /dev/ublk-control ] || fail "/dev/ublk-control is missing (ublk_drv not loaded?)"
