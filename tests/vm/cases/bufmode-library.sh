#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: library-managed buffers pass fio write+verify in callback and pull style, completing on the queue thread and from 4 workers
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

for style in callback pull; do
	for workers in 0 4; do
		testdev_verify library "$style" "$workers"
	done
done
assert_list_empty
