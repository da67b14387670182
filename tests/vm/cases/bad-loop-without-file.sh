#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add -t loop without a backing file fails with one error line and leaves nothing behind
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

expect_error "file|-f" ublk add -t loop
assert_list_empty
assert_no_daemon
