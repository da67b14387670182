#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: eight devices at once (four null, four loop) serve IO in parallel, then del --all removes them all and their daemons exit
# Sanitizers: no, data volume: the null and loop paths it drives run sanitized in null-add-list-del, loop-verify and del-under-load
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

ids=() pids=()
for i in 0 1 2 3; do
	id=$(ublk_add -t null -q $((i % 2 + 1)) -d 32 -s 1G) || fail "adding null device $i failed"
	ids+=("$id")
	backing_file "$WORK/backing$i" 32M
	id=$(ublk_add -t loop -q $((i % 2 + 1)) -d 32 -f "$WORK/backing$i") || fail "adding loop device $i failed"
	ids+=("$id")
done
[ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" -eq 8 ] || fail "the eight devices do not have distinct ids: ${ids[*]}"
json=$(list_json)
[ "$(jq length <<<"$json")" -eq 8 ] || fail "list --json shows $(jq length <<<"$json") devices"
jq -e 'all(.[]; .state == "LIVE")' >/dev/null <<<"$json" || fail "not every device is LIVE"
mapfile -t pids < <(jq '.[].daemon_pid' <<<"$json")
for pid in "${pids[@]}"; do
	pid_alive "$pid" || fail "daemon $pid is not running"
done

# one fio run, one job per device, all at the same time: random reads on the
# null devices, write + verify on the loop devices
jobs=()
for id in "${ids[@]}"; do
	if [ "$(list_field "$id" target)" = '"null"' ]; then
		jobs+=(--name="null$id" --filename="/dev/ublkb$id" --rw=randread
			--time_based --runtime=3)
	else
		jobs+=(--name="loop$id" --filename="/dev/ublkb$id" --rw=randwrite
			--size=8M --verify=crc32c --do_verify=1 --verify_fatal=1)
	fi
done
timeout 180 fio --ioengine=io_uring --direct=1 --bs=4k --iodepth=8 \
	--output-format=json --output="$WORK/fio.json" "${jobs[@]}" >"$WORK/fio.log" 2>&1 ||
	{ cat "$WORK/fio.log"; fail "fio on the eight devices failed"; }
jq -r '.jobs[] | "\(.jobname): error \(.error), read \(.read.io_bytes), written \(.write.io_bytes)"' "$WORK/fio.json"
jq -e '.jobs | length == 8 and all(.[]; .error == 0 and .read.io_bytes > 0)' \
	"$WORK/fio.json" >/dev/null || fail "a fio job failed or did not read"
jq -e '[.jobs[] | select(.jobname | startswith("loop")) | .write.io_bytes == 8388608] | length == 4 and all' \
	"$WORK/fio.json" >/dev/null || fail "a loop job did not write 8 MiB"

must timeout 120 ublk del --all
for id in "${ids[@]}"; do
	wait_gone "/dev/ublkb$id" 10 || fail "/dev/ublkb$id still exists after del --all"
	wait_gone "/dev/ublkc$id" 10 || fail "/dev/ublkc$id still exists after del --all"
done
for pid in "${pids[@]}"; do
	wait_pid_gone "$pid" 10 || fail "daemon $pid still runs after del --all"
done
assert_list_empty
