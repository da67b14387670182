#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add with queue depth 0 fails with one error line and leaves nothing behind
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

expect_error "depth" ublk add -t null -d 0
assert_list_empty
assert_no_daemon
