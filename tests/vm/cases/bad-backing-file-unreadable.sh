#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: add -t loop with a backing file it may not open (mode 000, without CAP_DAC_OVERRIDE) fails with one error line and leaves nothing behind
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd setpriv
backing_file "$WORK/secret" 16M
chmod 000 "$WORK/secret"
# root bypasses file modes through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: drop them
# shellcheck disable=SC2054 # commas belong to setpriv's arguments
nocaps=(setpriv --inh-caps=-dac_override,-dac_read_search
	--bounding-set=-dac_override,-dac_read_search)
if "${nocaps[@]}" cat "$WORK/secret" >/dev/null 2>&1; then
	skip "dropping CAP_DAC_OVERRIDE does not stop root from reading a mode 000 file here"
fi
expect_error "secret|permission|denied" "${nocaps[@]}" ublk add -t loop -f "$WORK/secret"
assert_list_empty
assert_no_daemon
