#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: a daemon killed after its device went live but before it reported ready (held at its state file): `ublk add` fails within 10 s naming the signal, and no device, record or process remains, with and without -r 1
# Timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

export UBLK_RUN_DIR=$WORK/run
mkdir -p "$UBLK_RUN_DIR"
id=7
for opts in "" "-r 1 -i 1"; do
	log "add -t null -n $id $opts"
	# The daemon writes its record just before it reports ready: a FIFO in
	# place of the temporary file holds it right there.
	mkfifo "$UBLK_RUN_DIR/$id.json.tmp"
	# shellcheck disable=SC2086 # $opts is a list of options
	timeout 60 ublk add -t null -n "$id" $opts >"$WORK/add.out" 2>"$WORK/add.err" </dev/null &
	add_pid=$!
	wait_state "$id" LIVE 30 || fail "device $id did not go live"
	pid=$(daemon_pid "$id")
	pid_alive "$add_pid" || fail "add returned before its daemon reported ready: $(cat "$WORK/add.err")"
	start=$(now_ms)
	kill -9 "$pid"
	wait "$add_pid"
	rc=$?
	ms=$(($(now_ms) - start))
	cat "$WORK/add.err"
	[ "$rc" -ne 124 ] || fail "add hung after its daemon was killed"
	[ "$rc" -eq 1 ] || fail "add exited with $rc, expected 1"
	[ "$ms" -le 10000 ] || fail "add took $ms ms to report the dead daemon"
	[ ! -s "$WORK/add.out" ] || fail "add printed on stdout: $(cat "$WORK/add.out")"
	[ "$(wc -l <"$WORK/add.err")" -eq 1 ] || fail "add printed more than one line"
	grep -Eq '^ublk: daemon was killed by signal 9 \(Killed\) during start-up$' "$WORK/add.err" ||
		fail "add did not say the daemon was killed"
	wait_gone "/dev/ublkc$id" 10 || fail "device $id remains"
	assert_list_empty
	assert_no_daemon
	rm "$UBLK_RUN_DIR/$id.json.tmp"
	[ -z "$(ls -A "$UBLK_RUN_DIR")" ] || fail "records remain: $(ls -A "$UBLK_RUN_DIR")"
	echo "add failed $ms ms after the kill, nothing remains"
done
