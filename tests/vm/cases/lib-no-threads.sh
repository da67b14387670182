#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the library creates no threads: ublk-threads counts /proc/self/task around setting up, serving and deleting a 2-queue device
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v ublk-threads >/dev/null || fail "ublk-threads is not in the VM (tests/vm/progs)"
timeout 120 ublk-threads
rc=$?
[ "$rc" -eq 0 ] || fail "ublk-threads exited with $rc"
assert_list_empty
