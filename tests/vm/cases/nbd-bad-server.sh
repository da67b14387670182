#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: ublk add -t nbd against servers that cannot serve: refused port, unknown host, missing socket, a socket nobody listens on, a missing export, a writable export without multi-conn for 2 queues; each fails within the bound with one clear line and nothing is created
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd qemu-nbd nbdkit nbdinfo

# bad_server URI REGEX [OPTIONS...]: add fails with "NBD server URI: ..." matching REGEX
bad_server() {
	local uri=$1 regex=$2 t0 t1
	shift 2
	t0=$(now_ms)
	expect_error "$regex" ublk add -t nbd "$@" --uri "$uri"
	t1=$(now_ms)
	[ $((t1 - t0)) -lt 20000 ] || fail "refusing $uri took $((t1 - t0)) ms"
}

bad_server "nbd://127.0.0.1:1/" "^ublk: NBD server nbd://127\.0\.0\.1:1/: .*(refused|connect)"
bad_server "nbd://no-such-host.invalid/" "^ublk: NBD server nbd://no-such-host\.invalid/: .*(getaddrinfo|resolv|Name|name)"
bad_server "nbd+unix:///?socket=$WORK/missing.sock" "^ublk: NBD server .*missing\.sock: .*(No such file|connect)"
# a socket file nobody listens on: what a server killed with SIGKILL leaves
nbdkit_start dead memory 1M
nbd_server_stop dead KILL
[ -S "$WORK/dead.sock" ] || fail "nbdkit killed with SIGKILL left no socket file"
bad_server "nbd+unix:///?socket=$WORK/dead.sock" "^ublk: NBD server .*dead\.sock: .*(refused|connect)"

backing_file "$WORK/q.img" 16M
rm -f "$WORK/q.sock"
nbd_server_start qemu "nbd+unix:///disk?socket=$WORK/q.sock" \
	qemu-nbd -k "$WORK/q.sock" -x disk -f raw --persistent "$WORK/q.img"
bad_server "nbd+unix:///nope?socket=$WORK/q.sock" "^ublk: NBD server .*: .*no export named 'nope'"
bad_server "nbd+unix:///disk?socket=$WORK/q.sock" "does not offer multi-conn: a writable export takes one queue \(-q 1\)" -q 2
nbd_server_stop qemu

assert_list_empty
assert_no_daemon
