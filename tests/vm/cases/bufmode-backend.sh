#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: backend-supplied buffers (NEED_GET_DATA): the test backend's own buffers, checked pass fio write+verify in callback and pull style, completing on the queue thread and from 4 workers
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

for style in callback pull; do
	for workers in 0 4; do
		testdev_verify backend "$style" "$workers"
	done
done
assert_list_empty
