#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add with 0 queues fails with one error line and leaves nothing behind
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

expect_error "queue" ublk add -t null -q 0
assert_list_empty
assert_no_daemon
