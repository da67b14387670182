#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: library buffers reclaimed after 5 ms idle never lose data of a request in flight: mixed random IO with verify, callback and pull style
# Timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# An idle time this short makes the reclaim run all the time, next to
# requests arriving, in flight and completing.
command -v ublk-testdev >/dev/null || fail "ublk-testdev is not in the VM (tests/vm/progs)"
for style in callback pull; do
	fg_start "testdev-$style" ublk-testdev --buf library --style "$style" -j 4 -q 2 -d 128 \
		-s 64 --idle 5
	fio_mixed_verify "$FG_DEV" 64 8
	fg_stop 30
	grep '^testdev: ' "$FG_OUT"
	[ "$(testdev_field violations)" = 0 ] || fail "ublk-testdev counted violations"
	[ "$(testdev_field errors)" = 0 ] || fail "ublk-testdev counted errors"
done
assert_list_empty
