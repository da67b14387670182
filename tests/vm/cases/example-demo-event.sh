#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: demo_event (completion from a worker thread) passes fio write+verify (crc32c) at iodepth 1 and 32, and exits 0 on SIGTERM with its device gone
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

fg_start demo_event demo_event -s 64
fio_verify verify-qd1 "$FG_DEV" 2M --iodepth=1
fio_verify verify-qd32 "$FG_DEV" 8M --iodepth=32 --bsrange=4k-128k
fg_stop 30
assert_list_empty
