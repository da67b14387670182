#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: del of a device id that does not exist fails with one error line
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

expect_error "4242|no such|not found|does not exist" ublk del -n 4242
assert_list_empty
assert_no_daemon
