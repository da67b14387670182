#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add with an unknown target fails with one error line and leaves nothing behind
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

expect_error "target|bogus" ublk add -t bogus
assert_list_empty
assert_no_daemon
