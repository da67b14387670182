#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add -t loop with a backing file that does not exist fails with one error line and leaves nothing behind
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

expect_error "does-not-exist|no such file" ublk add -t loop -f "$WORK/does-not-exist"
assert_list_empty
assert_no_daemon
