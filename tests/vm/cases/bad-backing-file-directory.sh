#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add -t loop with a directory as backing file fails with one error line and leaves nothing behind
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

mkdir "$WORK/dir"
expect_error "dir|directory|regular|block device" ublk add -t loop -f "$WORK/dir"
assert_list_empty
assert_no_daemon
