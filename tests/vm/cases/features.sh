#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: ublk features prints the running driver's features, one name per line, and exits 0
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

out=$(timeout 30 ublk features 2>"$WORK/err")
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "ublk features exited with $rc: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "ublk features wrote to stderr: $(cat "$WORK/err")"
[ -n "$out" ] || fail "ublk features printed nothing"
bad=$(grep -Ev '^[A-Z][A-Z0-9_]*$' <<<"$out")
[ -z "$bad" ] || fail "not feature names: $bad"
[ "$(sort <<<"$out" | uniq -d)" = "" ] || fail "a feature is listed twice"
# every kernel we support (6.5 and later) has these
for f in CMD_IOCTL_ENCODE USER_COPY; do
	grep -qx "$f" <<<"$out" || fail "$f is missing"
done
# a feature added in 6.16 tells the kernels apart
case $(uname -r) in
6.12.*) ! grep -qx QUIESCE <<<"$out" || fail "6.12 has no QUIESCE, yet it is listed" ;;
7.*) grep -qx QUIESCE <<<"$out" || fail "QUIESCE is missing on $(uname -r)" ;;
esac
assert_list_empty
