#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: `ublk del` under reads only, writes only and mixed IO (loop and null, 1 and 2 queues, with and without recovery, loop --buffered, direct and page-cache fio; 12 cycles, 4 in the sanitizer pass), and with the device held open idle: each del exits 0 within 10 s, fio ends on an IO error within 10 s, no process is left in D state, nothing remains
# Allow-IO-errors: yes
# Timeout: 600
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# target and options | fio --rw | fio --direct. Each target, queue count,
# recovery mode, loop buffering and fio direct setting meets reads only,
# writes only and a mix. fio's page-cache writes reach the device only on
# writeback, so only its reads run without O_DIRECT.
cycles=(
	"loop -q 1|randread|1"
	"loop -q 2|randwrite|1"
	"loop -q 2 --buffered|randread|0"
	"loop -q 1 --buffered|randrw|1"
	"loop -q 1 -r 1|read|1"
	"loop -q 2 -r 1 -i 1|randrw|0"
	"null -q 1|randread|0"
	"null -q 2|randread|1"
	"null -q 1|randwrite|1"
	"null -q 2 -r 1|randwrite|1"
	"null -q 1 -r 1 -i 1|randread|1"
	"null -q 2|randrw|1"
)
# the sanitizer pass, whose programs run several times slower: every third
step=1
[ -z "${UBLKVM_SANITIZE:-}" ] || step=3

# del_timed ID WHAT: `ublk del -n ID` must exit 0 within 10 s; sets DEL_MS
del_timed() {
	local id=$1 what=$2 start rc
	start=$(now_ms)
	timeout 30 ublk del -n "$id" >"$WORK/del.out" 2>&1
	rc=$?
	DEL_MS=$(($(now_ms) - start))
	[ "$rc" -ne 124 ] || fail "$what: ublk del -n $id hung for 30 s"
	[ "$rc" -eq 0 ] || fail "$what: ublk del -n $id exited with $rc: $(cat "$WORK/del.out")"
	[ "$DEL_MS" -le 10000 ] || fail "$what: ublk del took $DEL_MS ms"
	((DEL_MS > longest)) && longest=$DEL_MS
}

longest=0 n=0
backing_file "$WORK/backing" 64M
for ((c = 0; c < ${#cycles[@]}; c += step)); do
	IFS='|' read -r args rw direct <<<"${cycles[c]}"
	what="cycle $((c + 1)) ($args, $rw, direct=$direct)"
	read -r -a argv <<<"$args"
	[ "${argv[0]}" = loop ] && argv+=(-f "$WORK/backing")
	id=$(ublk_add -t "${argv[@]}") || fail "$what: ublk add failed"
	pid=$(daemon_pid "$id")
	io_load "/dev/ublkb$id" "$rw" "$direct"
	del_timed "$id" "$what"
	load_failed "$what"
	wait_pid_gone "$pid" 10 || fail "$what: daemon $pid still runs after del"
	assert_no_dstate "$what"
	assert_list_empty
	echo "$what: del took $DEL_MS ms, fio ended with status $LOAD_RC"
	n=$((n + 1))
done

# Held open without IO (as a mount would hold it): del does not wait for
# the holder; the id is free once the holder closes the device.
id=$(ublk_add -t null) || fail "idle holder: ublk add failed"
exec {holder}<"/dev/ublkb$id"
del_timed "$id" "idle holder"
assert_list_empty
exec {holder}<&-
for ((i = 0; i < 200; i++)); do # bounded: 10 s
	timeout 30 ublk list -n "$id" >"$WORK/list.out" 2>&1 || break
	sleep 0.05 # poll step of the bounded wait above
done
grep -q 'does not exist' "$WORK/list.out" ||
	fail "idle holder: device $id still listed 10 s after its holder closed it: $(cat "$WORK/list.out")"
echo "idle holder: del took $DEL_MS ms; the id was free once the holder closed the device"
assert_no_daemon
echo "$n deletes under load and one with an idle holder; longest $longest ms; 0 hangs"
