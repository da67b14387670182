#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: ublk add -t nbd with malformed URIs: each exits non-zero with one line naming what is wrong, nothing is created and no process is left
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# bad_uri URI REGEX: `ublk add -t nbd --uri URI` fails with "invalid NBD URI 'URI': REASON", REGEX in REASON
bad_uri() {
	expect_error "^ublk: invalid NBD URI '.*': .*$2" ublk add -t nbd --uri "$1"
}

bad_uri "localhost:10809" "not a URI"
bad_uri "/tmp/nbd.sock" "not a URI"
bad_uri "http://127.0.0.1/x" "unsupported scheme 'http'"
bad_uri "nbd+vsock:///" "unsupported scheme 'nbd\+vsock'"
bad_uri "nbd:///export" "no server host"
bad_uri "nbd://127.0.0.1:0/" "bad port '0'"
bad_uri "nbd://127.0.0.1:99999/" "bad port '99999'"
bad_uri "nbd://127.0.0.1:nbd/" "bad port 'nbd'"
bad_uri "nbd://bad_host!/" "bad host name"
bad_uri "nbd://[::1/" "IPv6"
bad_uri "nbd://host/exp ort" "space"
bad_uri "nbd://host/x#y" "fragment"
bad_uri "nbd://host/x%4" "percent escape"
bad_uri "nbd://host/?socket=/tmp/s" "only for nbd\+unix"
bad_uri "nbd://host/?frob=1" "unknown query parameter 'frob'"
bad_uri "nbd+unix:///export" "needs the socket"
bad_uri "nbd+unix://host/?socket=/tmp/s" "takes no host"
bad_uri "nbd+unix:///?socket=" "needs a value"

# options the nbd target refuses
expect_error "^ublk: target nbd needs the server: --uri URI$" ublk add -t nbd
expect_error "^ublk: option '--uri' needs an NBD URI, not ''$" ublk add -t nbd --uri ''
expect_error "^ublk: target nbd takes no size" ublk add -t nbd -s 1G --uri nbd://127.0.0.1/
expect_error "^ublk: target nbd takes no backing file" ublk add -t nbd -f /dev/null --uri nbd://127.0.0.1/
expect_error "^ublk: target null takes no NBD URI \(--uri\)$" ublk add -t null --uri nbd://127.0.0.1/

assert_list_empty
assert_no_daemon
