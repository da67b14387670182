# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Case helpers: ublk devices, their daemons, and programs that serve a device
# in the foreground (the examples, ublk-testdev).

# ublk_add ARGS...: add a device, print its id.  The device must be live and
# /dev/ublkbN present when `ublk add` returns.  Use as
#   id=$(ublk_add -t null) || fail "..."
UBLK_ADD_N=0
ublk_add() {
	local out err rc id
	UBLK_ADD_N=$((UBLK_ADD_N + 1))
	out=$WORK/.add.$BASHPID.$UBLK_ADD_N.out
	err=$WORK/.add.$BASHPID.$UBLK_ADD_N.err
	# files, not a pipe: the daemon that stays behind must not hold our output
	timeout 60 ublk add "$@" >"$out" 2>"$err" </dev/null
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "ublk add $*: exit status $rc" >&2
		cat "$err" >&2
		return 1
	fi
	if ! [[ $(cat "$out") =~ ([0-9]+) ]]; then
		echo "ublk add $*: no device id in its output: '$(cat "$out")'" >&2
		return 1
	fi
	id=${BASH_REMATCH[1]}
	if [ ! -b "/dev/ublkb$id" ]; then
		echo "ublk add $*: returned, but /dev/ublkb$id is not a block device" >&2
		return 1
	fi
	echo "$id"
}

# ublk_del ID: delete device ID; its nodes must go and its daemon exit.
ublk_del() {
	local id=$1 pid
	pid=$(list_field "$id" daemon_pid 2>/dev/null)
	must timeout 60 ublk del -n "$id" >/dev/null
	wait_gone "/dev/ublkb$id" 10 || fail "/dev/ublkb$id still exists after del"
	wait_gone "/dev/ublkc$id" 10 || fail "/dev/ublkc$id still exists after del"
	if [[ $pid =~ ^[0-9]+$ ]] && [ "$pid" -gt 0 ]; then
		wait_pid_gone "$pid" 10 || fail "daemon $pid of device $id still runs after del"
	fi
}

# list_json [ID]: `ublk list --json` (of one device), validated as JSON
list_json() {
	local out
	if [ $# -gt 0 ]; then
		out=$(timeout 30 ublk list -n "$1" --json) || fail "ublk list -n $1 --json failed"
	else
		out=$(timeout 30 ublk list --json) || fail "ublk list --json failed"
	fi
	jq -e 'type == "array"' >/dev/null <<<"$out" ||
		fail "ublk list --json is not a JSON array: $out"
	printf '%s\n' "$out"
}

# list_get ID FIELD: one field of device ID in `ublk list -n ID --json`, as
# jq -c prints it (strings quoted); status 1 if the device is not listed.
# The list's compact objects are read with bash: jq takes 0.4 s to start in
# the VM, and this runs in polling loops. jq reads what bash cannot (a
# string with a brace or an escaped quote).
list_get() {
	local id=$1 field=$2 out obj
	local value='(\[[^]]*\]|"[^"]*"|[-+.0-9a-z]+)'
	out=$(timeout 30 ublk list -n "$id" --json 2>/dev/null) || return 1
	if [[ $out =~ (^\[|,)\{\"id\":$id,([^{}]*)\}(,|\]$) ]]; then
		obj=${BASH_REMATCH[2]}
		if [[ $obj != *'\'* && ,$obj =~ ,\"$field\":$value(,|$) ]]; then
			echo "${BASH_REMATCH[1]}"
			return 0
		fi
	fi
	jq -ec --argjson id "$id" --arg f "$field" \
		'.[] | select(.id == $id) | .[$f]' <<<"$out" 2>/dev/null
}

# list_field ID FIELD: list_get, failing the case if the device is not listed
list_field() {
	list_get "$1" "$2" || fail "device $1 is not in ublk list -n $1 --json: $(ublk list -n "$1" --json 2>&1)"
}

# assert_list_empty: no device in `ublk list` nor `ublk list --json`, and
# no ublk device node.
assert_list_empty() {
	local out d
	for d in /dev/ublkc[0-9]* /dev/ublkb[0-9]*; do
		[ -e "$d" ] && fail "$d exists"
	done
	out=$(timeout 30 ublk list) || fail "ublk list failed"
	[ -z "$out" ] || fail "ublk list is not empty: $out"
	out=$(timeout 30 ublk list --json) || fail "ublk list --json failed"
	[ "$out" = "[]" ] || fail "ublk list --json is not []: $out"
}

# daemon_pids: processes running the ublk executable
daemon_pids() {
	local exe p
	exe=$(readlink -f "$(command -v ublk)") || return 0
	for p in /proc/[0-9]*; do
		# -ef follows the exe link without a fork per process
		[ "$p/exe" -ef "$exe" ] 2>/dev/null && pid_alive "${p#/proc/}" && echo "${p#/proc/}"
	done
}

# assert_no_daemon: no ublk process is left (waits up to 10 s)
assert_no_daemon() {
	local i
	for ((i = 0; i < 200; i++)); do # bounded: 10 s
		[ -z "$(daemon_pids)" ] && return 0
		sleep 0.05 # poll step of the bounded wait above
	done
	fail "ublk processes are left: $(daemon_pids | tr '\n' ' ')"
}

# expect_error REGEX CMD...: CMD must fail within 60 s, print exactly one
# line on stderr, starting with "ublk: " and matching REGEX (extended,
# case-insensitive), and nothing on stdout.
expect_error() {
	local regex=$1 rc lines
	shift
	timeout 60 "$@" >"$WORK/.stdout" 2>"$WORK/.stderr" </dev/null
	rc=$?
	echo "\$ $* -> exit $rc, stderr: $(cat "$WORK/.stderr")"
	[ "$rc" -ne 124 ] || fail "'$*' did not return within 60 s"
	[ "$rc" -ne 0 ] || fail "'$*' succeeded; it should have failed"
	[ ! -s "$WORK/.stdout" ] || fail "'$*' printed on stdout: $(cat "$WORK/.stdout")"
	lines=$(wc -l <"$WORK/.stderr")
	[ "$lines" -eq 1 ] || fail "'$*' printed $lines lines on stderr, expected 1"
	grep -q '^ublk: ' "$WORK/.stderr" || fail "the error line does not start with 'ublk: '"
	grep -Eiq -- "$regex" "$WORK/.stderr" || fail "the error line does not match /$regex/"
}

# wait_state ID STATE [TIMEOUT]: wait until `ublk list` shows device ID in
# STATE (LIVE, QUIESCED, FAIL_IO, DEAD), default 10 s
wait_state() {
	local id=$1 want=$2 timeout=${3:-10} i got=none
	for ((i = 0; i < timeout * 20; i++)); do # bounded: TIMEOUT seconds
		# not list_field: the device may not be listed yet
		got=$(list_get "$id" state)
		[ "$got" = "\"$want\"" ] && return 0
		sleep 0.05 # poll step of the bounded wait above
	done
	echo "device $id is ${got:-not listed}, not $want, after ${timeout}s" >&2
	return 1
}

# daemon_pid ID: the process serving device ID
daemon_pid() {
	local pid
	pid=$(list_field "$1" daemon_pid) || fail "device $1 is not listed"
	[ "$pid" -gt 0 ] 2>/dev/null || fail "device $1 has no daemon ($pid)"
	echo "$pid"
}

# kill_daemon PID: kill -9 a daemon; it must be gone within 10 s
kill_daemon() {
	kill -9 "$1" || fail "kill -9 $1 failed"
	wait_pid_gone "$1" 10 || fail "daemon $1 survived kill -9"
}

# ublk_recover ID: `ublk recover -n ID` must succeed within 60 s and leave
# device ID live, served by a new process.
ublk_recover() {
	local id=$1 out rc pid
	out=$(timeout 60 ublk recover -n "$id" 2>&1 </dev/null)
	rc=$?
	[ "$rc" -eq 0 ] || fail "ublk recover -n $id exited with $rc: $out"
	[ "$out" = "dev id $id: /dev/ublkb$id" ] || fail "ublk recover -n $id printed '$out'"
	[ "$(list_field "$id" state)" = '"LIVE"' ] || fail "device $id is $(list_field "$id" state) after recover"
	pid=$(list_field "$id" daemon_pid)
	pid_alive "$pid" || fail "device $id: daemon_pid $pid after recover is not running"
}

# disk_ios DEV: "READS WRITES" completed on DEV (from /sys/block/*/stat)
disk_ios() {
	local f stat
	f=/sys/block/${1#/dev/}/stat
	# builtins only: this runs in tight polling loops
	read -r -a stat 2>/dev/null <"$f" || { echo "0 0"; return; }
	echo "${stat[0]} ${stat[4]}"
}

# wait_for_io DEV READS WRITES PID: wait (up to 60 s) until DEV has completed
# READS reads or WRITES writes (counts as disk_ios gives them; 0: either is
# ignored); fails if process PID (the IO's source) ends first
wait_for_io() {
	local dev=$1 reads=$2 writes=$3 pid=$4 i r w
	for ((i = 0; i < 1200; i++)); do # bounded: 60 s
		read -r r w < <(disk_ios "$dev")
		{ [ "$reads" -gt 0 ] && [ "$r" -ge "$reads" ]; } && return 0
		{ [ "$writes" -gt 0 ] && [ "$w" -ge "$writes" ]; } && return 0
		pid_alive "$pid" || fail "the IO on $dev ended before $reads reads or $writes writes"
		sleep 0.05 # poll step of the bounded wait above
	done
	fail "$dev did not reach $reads reads or $writes writes within 60 s"
}

# sector_put DEV SECTOR FILE [DD-ARG...]: write FILE to DEV at SECTOR in
# one direct write (one request, if FILE is at most max_sectors_kb)
sector_put() {
	local dev=$1 sector=$2 file=$3
	shift 3
	dd if="$file" of="$dev" bs="$(stat -c %s "$file")" count=1 seek=$((sector * 512)) \
		oflag=direct,seek_bytes status=none "$@"
}

# sector_get DEV SECTOR COUNT OUT: read COUNT sectors of DEV at SECTOR into
# OUT in one direct read
sector_get() {
	dd if="$1" of="$4" bs=$(($3 * 512)) count=1 skip=$(($2 * 512)) \
		iflag=direct,skip_bytes status=none
}

# dev_readback DEV FILE: the whole of DEV, read with direct IO, into FILE
dev_readback() {
	timeout 120 dd if="$1" of="$2" bs=1M iflag=direct status=none || fail "reading $1 failed"
}

# buffer_modes: the ublk-testdev buffer modes the running driver can serve
# (user copy needs USER_COPY); says so on stderr when one is left out
buffer_modes() {
	local features
	features=$(timeout 30 ublk features) || fail "ublk features failed"
	echo library backend
	if grep -qx USER_COPY <<<"$features"; then
		echo user-copy
	else
		echo "no USER_COPY in the ublk driver of $(uname -r): user copy not checked" >&2
	fi
}

# fg_start NAME CMD...: start CMD, a program that serves a ublk device in the
# foreground and prints its path (/dev/ublkbN) once the device is live, and
# wait up to 60 s for that.  Sets FG_PID, FG_DEV and FG_OUT/FG_ERR (its
# stdout and stderr, in $WORK).
fg_start() {
	local name=$1 i line=""
	shift
	FG_NAME=$name FG_OUT=$WORK/$name.out FG_ERR=$WORK/$name.err FG_DEV=""
	"$@" >"$FG_OUT" 2>"$FG_ERR" </dev/null &
	FG_PID=$!
	for ((i = 0; i < 1200; i++)); do # bounded: 60 s
		line=$(head -n 1 "$FG_OUT")
		[ -n "$line" ] && break
		pid_alive "$FG_PID" || break
		sleep 0.05 # poll step of the bounded wait above
	done
	if ! [[ $line =~ ^/dev/ublkb[0-9]+$ ]]; then
		cat "$FG_OUT" "$FG_ERR" >&2
		fail "$name did not print its device within 60 s (first line: '$line')"
	fi
	[ -b "$line" ] || fail "$name printed $line, which is not a block device"
	FG_DEV=$line
	echo "$name: $* serves $FG_DEV"
}

# fg_stop [TIMEOUT]: SIGTERM the program fg_start started; it must exit with
# status 0 within TIMEOUT seconds (default 30), and its device must be gone.
# shellcheck disable=SC2120 # the argument is optional
fg_stop() {
	local timeout=${1:-30} rc id=${FG_DEV#/dev/ublkb}
	kill -TERM "$FG_PID" 2>/dev/null || fail "$FG_NAME (pid $FG_PID) is not running any more"
	if ! wait_pid_gone "$FG_PID" "$timeout"; then
		cat "$FG_ERR" >&2
		fail "$FG_NAME did not exit within ${timeout}s of SIGTERM"
	fi
	wait "$FG_PID"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$FG_OUT" "$FG_ERR" >&2
		fail "$FG_NAME exited with status $rc after SIGTERM"
	fi
	wait_gone "$FG_DEV" 10 || fail "$FG_DEV still exists after $FG_NAME exited"
	wait_gone "/dev/ublkc$id" 10 || fail "/dev/ublkc$id still exists after $FG_NAME exited"
	if timeout 30 ublk list -n "$id" >"$WORK/.list" 2>&1 || ! grep -q 'does not exist' "$WORK/.list"; then
		fail "device $id still exists after $FG_NAME exited: $(cat "$WORK/.list")"
	fi
	echo "$FG_NAME: exited 0 on SIGTERM, $FG_DEV is gone"
}

# testdev_field NAME: a number from ublk-testdev's summary line (in FG_OUT)
testdev_field() {
	local v
	v=$(sed -n "s/^testdev: .*\b$1=\([0-9][0-9]*\).*/\1/p" "$FG_OUT")
	[ -n "$v" ] || fail "ublk-testdev printed no summary with $1: $(cat "$FG_OUT")"
	echo "$v"
}

# testdev_verify MODE STYLE WORKERS: ublk-testdev --buf MODE --style STYLE
# -j WORKERS, 2 queues, passes fio write+verify at iodepth 32 and 1 and
# exits 0 on SIGTERM; its summary must account for every request: all
# completed from workers (WORKERS > 0) or none (0), and in backend mode one
# buffer of its own per READ and WRITE, each one returned.
testdev_verify() {
	local mode=$1 style=$2 workers=$3 req cross reads writes provided returned
	command -v ublk-testdev >/dev/null || fail "ublk-testdev is not in the VM (tests/vm/progs)"
	fg_start "testdev-$mode-$style-j$workers" ublk-testdev --buf "$mode" --style "$style" \
		-j "$workers" -q 2 -d 64 -s 64
	fio_verify "$style-j$workers-qd32" "$FG_DEV" 8M --iodepth=32 --bsrange=4k-128k
	fio_verify "$style-j$workers-qd1" "$FG_DEV" 2M --iodepth=1
	fg_stop 30
	grep '^testdev: ' "$FG_OUT"
	req=$(testdev_field requests)
	cross=$(testdev_field cross_thread)
	reads=$(testdev_field reads)
	writes=$(testdev_field writes)
	provided=$(testdev_field provided)
	returned=$(testdev_field returned)
	[ "$(testdev_field violations)" = 0 ] || fail "ublk-testdev counted violations"
	[ "$(testdev_field errors)" = 0 ] || fail "ublk-testdev counted errors"
	# fio wrote and read back at least 10 MiB, in requests of at most 128 KiB
	if [ "$reads" -lt 80 ] || [ "$writes" -lt 80 ]; then
		fail "ublk-testdev served only $reads reads and $writes writes"
	fi
	if [ "$workers" -gt 0 ]; then
		[ "$cross" = "$req" ] || fail "$cross of $req requests were completed by the workers"
	else
		[ "$cross" = 0 ] || fail "$cross requests were completed off the queue thread with -j 0"
	fi
	[ "$provided" = "$returned" ] || fail "$provided buffers given, $returned returned"
	if [ "$mode" = backend ]; then
		[ "$provided" = $((reads + writes)) ] ||
			fail "backend mode gave $provided buffers for $reads reads and $writes writes"
	else
		[ "$provided" = 0 ] || fail "$mode mode gave buffers of its own ($provided)"
	fi
}
