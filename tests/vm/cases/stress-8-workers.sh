#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: 8 worker threads completing concurrently on a 2-queue device: 15 s (10 s in the sanitizer pass, 300 s with scripts/test --long) of mixed random reads and writes with verify, no error, no lost or doubled completion
# Timeout: 600
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v ublk-testdev >/dev/null || fail "ublk-testdev is not in the VM (tests/vm/progs)"
fg_start testdev ublk-testdev --buf library --style callback -j 8 -q 2 -d 128 -s 128
runtime=$(by_run_length 15 10 300)
fio_mixed_verify "$FG_DEV" 128 "$runtime"
fg_stop 60
grep '^testdev: ' "$FG_OUT"
req=$(testdev_field requests)
[ "$req" -gt 0 ] || fail "ublk-testdev served no request"
[ "$(testdev_field cross_thread)" = "$req" ] || fail "not every request was completed by a worker"
[ "$(testdev_field violations)" = 0 ] || fail "ublk-testdev counted violations"
[ "$(testdev_field errors)" = 0 ] || fail "ublk-testdev counted errors"
assert_list_empty
