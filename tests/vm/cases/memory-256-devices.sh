#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: 256 null devices (1 queue, depth 128) in one process: resident memory per device after creation, after 1 MiB writes to each, and below 64 KiB after the idle time
# Timeout: 600
# Sanitizers: no, a sanitized program's resident memory counts ASan's shadow memory, redzones and per-thread state (about 350 KiB per device after idle), not the library's
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v ublk-mem >/dev/null || fail "ublk-mem is not in the VM (tests/vm/progs)"
# one serving thread per queue: only queues that defer completion work can
# return idle buffers (an epoll-driven queue keeps them)
# buffers idle for 5 s go back: writing to all 256 devices takes well under
# that, also on a machine busy with another VM, so each buffer is still
# there when the figure after the writes is taken
timeout 540 ublk-mem -n 256 -t 0 -i 5000 -l 64
rc=$?
[ "$rc" -eq 0 ] || fail "ublk-mem exited with $rc"
assert_list_empty
