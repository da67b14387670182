#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: user copy (USER_COPY) passes fio write+verify in callback and pull style, completing on the queue thread and from 4 workers
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

features=$(timeout 30 ublk features) || fail "ublk features failed"
grep -qx USER_COPY <<<"$features" ||
	skip "the ublk driver of $(uname -r) lacks USER_COPY (ublk features: ${features//$'\n'/ })"
for style in callback pull; do
	for workers in 0 4; do
		testdev_verify user-copy "$style" "$workers"
	done
done
assert_list_empty
