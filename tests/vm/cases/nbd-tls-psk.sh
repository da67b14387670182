#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: nbd target over TLS with a pre-shared key (nbds://alice@127.0.0.1/?tls-psk-file=...) to nbdkit --tls=require: fio write+verify passes; a plain nbd:// URI and a wrong key are refused with one clear line and no device
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd nbdkit nbdinfo od

port=10811
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
echo "alice:$key" >"$WORK/keys.psk"
echo "alice:$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$WORK/wrong.psk"
chmod 600 "$WORK/keys.psk" "$WORK/wrong.psk"
uri="nbds://alice@127.0.0.1:$port/?tls-psk-file=$WORK/keys.psk"
nbd_server_start tls "$uri" nbdkit -f -i 127.0.0.1 -p "$port" --tls=require \
	--tls-psk="$WORK/keys.psk" memory 32M

id=$(ublk_add -t nbd -q 2 --uri "$uri") || fail "ublk add -t nbd over TLS failed"
fio_verify tls "/dev/ublkb$id" 8M --bsrange=4k-64k --iodepth=16
ublk_del "$id"

expect_error "^ublk: NBD server nbd://127\.0\.0\.1:$port/: .*(TLS|tls)" \
	ublk add -t nbd --uri "nbd://127.0.0.1:$port/"
expect_error "^ublk: NBD server nbds://alice@127\.0\.0\.1:$port/\?tls-psk-file=.*wrong\.psk: " \
	ublk add -t nbd --uri "nbds://alice@127.0.0.1:$port/?tls-psk-file=$WORK/wrong.psk"
assert_list_empty
nbd_server_stop tls
