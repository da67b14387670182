# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the VM test cases (tests/vm/cases/*.sh), sourced with
#   . "$(dirname "$0")/../lib.sh"
# A case exits 0 to pass, 1 to fail (fail) and 77 to skip (skip).  Cases run
# as root inside the test VM, in a scratch directory on tmpfs ($WORK), with
# ublk_drv loaded; guest/run.sh cleans up whatever a case leaves behind, but a
# case that leaves a ublk device fails.

set -u
set -o pipefail

WORK=${UBLKVM_WORK:-$(mktemp -d /tmp/ublkvm.XXXXXX)}
GIB=$((1024 * 1024 * 1024))
MIB=$((1024 * 1024))

# fail and skip end the case even when called in a subshell (a command
# substitution or a pipeline): the subshell signals the case's main shell.
LIB_PID=$$
trap 'exit 1' USR1
trap 'exit 77' USR2

fail() {
	echo "FAIL: $*" >&2
	# what a program started with fg_start had to say
	if [ -n "${FG_ERR:-}" ] && [ -s "$FG_ERR" ]; then
		echo "--- last lines of ${FG_NAME:-its} stderr:" >&2
		tail -n 20 "$FG_ERR" >&2
	fi
	[ "$BASHPID" = "$LIB_PID" ] || kill -USR1 "$LIB_PID"
	exit 1
}

skip() {
	echo "SKIP: $*"
	if [ -n "${UBLKVM_SKIP_FILE:-}" ]; then
		echo "$*" >"$UBLKVM_SKIP_FILE"
	fi
	[ "$BASHPID" = "$LIB_PID" ] || kill -USR2 "$LIB_PID"
	exit 77
}

log() {
	echo "--- $*"
}

# must CMD...: run CMD, fail with its output if it exits non-zero.
must() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out" >&2
		fail "'$*' exited with $rc"
	fi
	[ -z "$out" ] || printf '%s\n' "$out"
}

# wait_for_path PATH [TIMEOUT]: wait until PATH exists (default 10 s).
wait_for_path() {
	local path=$1 timeout=${2:-10} i
	for ((i = 0; i < timeout * 20; i++)); do # bounded: TIMEOUT seconds
		[ -e "$path" ] && return 0
		sleep 0.05 # poll step of the bounded wait above
	done
	[ -e "$path" ]
}

# wait_gone PATH [TIMEOUT]: wait until PATH no longer exists (default 10 s).
wait_gone() {
	local path=$1 timeout=${2:-10} i
	for ((i = 0; i < timeout * 20; i++)); do # bounded: TIMEOUT seconds
		[ -e "$path" ] || return 0
		sleep 0.05 # poll step of the bounded wait above
	done
	[ ! -e "$path" ]
}

# wait_pid_gone PID [TIMEOUT]: wait until process PID has exited (or is a
# zombie nobody reaps; for a daemon that means it exited).
wait_pid_gone() {
	local pid=$1 timeout=${2:-10} i
	for ((i = 0; i < timeout * 20; i++)); do # bounded: TIMEOUT seconds
		pid_alive "$pid" || return 0
		sleep 0.05 # poll step of the bounded wait above
	done
	! pid_alive "$pid"
}

pid_alive() {
	local stat state
	# builtins only: this runs in tight polling loops
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	state=${stat##*) }
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

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

# list_field ID FIELD: one field of device ID in `ublk list -n ID --json`
# (as jq -c prints it: strings quoted); fails if the device is not listed
list_field() {
	local out
	out=$(timeout 30 ublk list -n "$1" --json) || fail "ublk list -n $1 --json failed"
	# one jq: it is slow to start in the VM, and this runs in polling loops
	jq -c --argjson id "$1" --arg f "$2" \
		'if type == "array" and any(.[]; .id == $id)
		 then .[] | select(.id == $id) | .[$f] else error("not listed") end' \
		<<<"$out" 2>/dev/null || fail "device $1 is not in ublk list -n $1 --json: $out"
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
	jq -e '. == []' >/dev/null <<<"$out" || fail "ublk list --json is not []: $out"
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

# load_module NAME [PARAM=VALUE...]
load_module() {
	local m=$1
	shift
	if [ -e "/sys/module/$m/initstate" ]; then
		rmmod "$m" || fail "cannot unload $m to load it with '$*'"
	fi
	modprobe "$m" "$@" || fail "modprobe $m $* failed"
}

# backing_file PATH SIZE: a sparse file of SIZE (truncate syntax) on tmpfs
backing_file() {
	rm -f "$1"
	truncate -s "$2" "$1" || fail "cannot create $1"
}

# fio_run NAME FIO-ARGS...: a short fio job (io_uring, direct IO, 4k unless
# overridden); fails unless fio succeeds without errors and did IO.  Prints a
# one-line summary.
fio_run() {
	local name=$1 out
	shift
	out=$WORK/.fio-$name.json
	timeout 120 fio --name="$name" --ioengine=io_uring --direct=1 --bs=4k \
		--output-format=json --output="$out" "$@" >"$WORK/.fio.log" 2>&1
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$WORK/.fio.log" >&2
		[ -s "$out" ] && sed -n '/"error"/p' "$out" >&2
		fail "fio $name failed (exit $rc): fio $*"
	fi
	local summary
	summary=$(jq -r '[.jobs[] | {e: .error, r: .read.io_bytes, w: .write.io_bytes,
		ri: .read.iops, wi: .write.iops}] |
		"\(map(.e) | add) \(map(.r) | add) \(map(.w) | add) \(map(.ri) | add | floor) \(map(.wi) | add | floor)"' "$out") ||
		fail "fio $name: cannot read its JSON output"
	local err rbytes wbytes riops wiops
	read -r err rbytes wbytes riops wiops <<<"$summary"
	echo "fio $name: read $((rbytes / 1024)) KiB ($riops IOPS), written $((wbytes / 1024)) KiB ($wiops IOPS)"
	[ "$err" = 0 ] || fail "fio $name reported error $err"
	[ $((rbytes + wbytes)) -gt 0 ] || fail "fio $name did no IO"
	# for the caller: bytes fio read and wrote
	# shellcheck disable=SC2034
	FIO_READ_BYTES=$rbytes FIO_WRITE_BYTES=$wbytes
}

# fio_verify NAME DEV SIZE [FIO-ARGS...]: write SIZE bytes of DEV at random
# with crc32c checksums, then read everything back and verify it.
fio_verify() {
	local name=$1 dev=$2 size=$3
	shift 3
	fio_run "$name" --filename="$dev" --rw=randwrite --size="$size" \
		--iodepth=16 --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_backlog=0 "$@"
	[ "$FIO_READ_BYTES" -ge "$(numfmt_bytes "$size")" ] ||
		fail "fio $name verified only $FIO_READ_BYTES bytes of $size"
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
	fio_verify "$style-j$workers-qd32" "$FG_DEV" 16M --iodepth=32 --bsrange=4k-128k
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
	# fio wrote and read back at least 18 MiB, in requests of at most 128 KiB
	if [ "$reads" -lt 144 ] || [ "$writes" -lt 144 ]; then
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

# fio_mixed_verify DEV SIZE_MIB SECONDS: mixed random IO on the first
# SIZE_MIB MiB of DEV for SECONDS: two writers (4k-128k) verify what they
# wrote as they go (crc32c, each on its own half), two readers cross the
# whole range; 64 requests in flight.  Fails on any error or mismatch, and
# if fio does not finish within 3 * SECONDS + 60 s (a lost completion).
fio_mixed_verify() {
	local dev=$1 size=$2 runtime=$3 half=$(($2 / 2)) rc limit=$(($3 * 3 + 60))
	cat >"$WORK/mixed.fio" <<-JOB
	[global]
	filename=$dev
	ioengine=io_uring
	direct=1
	bsrange=4k-128k
	iodepth=16
	time_based
	runtime=$runtime
	verify_fatal=1
	[verify-0]
	rw=randwrite
	verify=crc32c
	verify_backlog=32
	offset=0
	size=${half}M
	[verify-1]
	rw=randwrite
	verify=crc32c
	verify_backlog=32
	offset=${half}M
	size=${half}M
	[read-0]
	rw=randread
	bs=4k
	size=${size}M
	[read-1]
	rw=randread
	size=${size}M
	JOB
	timeout "$limit" fio "$WORK/mixed.fio" --output-format=json \
		--output="$WORK/mixed.json" >"$WORK/mixed.log" 2>&1
	rc=$?
	[ "$rc" -ne 124 ] || fail "fio did not finish within ${limit}s: a completion was lost"
	if [ "$rc" -ne 0 ]; then
		head -n 20 "$WORK/mixed.log"
		fail "fio (mixed random IO with verify) exited with $rc"
	fi
	jq -r '.jobs[] | "\(.jobname): error \(.error), read \(.read.io_bytes / 1048576 | floor) MiB, written \(.write.io_bytes / 1048576 | floor) MiB, \(.job_runtime / 1000) s"' \
		"$WORK/mixed.json" || fail "cannot read fio's output"
	jq -e 'all(.jobs[]; .error == 0)' "$WORK/mixed.json" >/dev/null ||
		fail "a fio job reported an error"
	jq -e --argjson ms $((runtime * 1000)) 'all(.jobs[]; .job_runtime >= $ms)' \
		"$WORK/mixed.json" >/dev/null || fail "a fio job ran less than ${runtime}s"
	# the writers' verify reads ran: data was checked during the run
	jq -e 'all(.jobs[] | select(.jobname | startswith("verify"));
		.read.io_bytes > 0 and .write.io_bytes > 0)' "$WORK/mixed.json" >/dev/null ||
		fail "a verifying fio job did not both write and read back"
}

# wait_state ID STATE [TIMEOUT]: wait until `ublk list` shows device ID in
# STATE (LIVE, QUIESCED, FAIL_IO, DEAD), default 10 s
wait_state() {
	local id=$1 want=$2 timeout=${3:-10} i got=none
	for ((i = 0; i < timeout * 20; i++)); do # bounded: TIMEOUT seconds
		# not list_field: the device may not be listed yet
		got=$(timeout 10 ublk list -n "$id" --json 2>/dev/null |
			jq -r --argjson id "$id" '.[] | select(.id == $id) | .state' 2>/dev/null)
		[ "$got" = "$want" ] && return 0
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

# dstate_pids: processes in uninterruptible sleep (D state)
dstate_pids() {
	local p stat state
	for p in /proc/[0-9]*; do
		read -r stat 2>/dev/null <"$p/stat" || continue
		state=${stat##*) }
		state=${state%% *}
		[ "$state" = D ] && echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
	done
}

# assert_no_dstate WHAT: no process is left in D state (a kernel worker
# may pass through it while a device goes: waits up to 10 s for that)
assert_no_dstate() {
	local i d
	for ((i = 0; i < 200; i++)); do # bounded: 10 s
		d=$(dstate_pids)
		[ -z "$d" ] && return 0
		sleep 0.05 # poll step of the bounded wait above
	done
	fail "$1: processes in D state for 10 s: $d"
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

# io_load DEV RW DIRECT: fio --rw=RW (randread, randwrite, randrw, ...) on
# DEV in the background: 4k requests at iodepth 32 in 2 jobs, O_DIRECT if
# DIRECT is 1, for up to 60 s. Returns once 150 of its reads or writes have
# reached DEV. Sets LOAD_PID and LOAD_LOG; end it with load_failed.
io_load() {
	local dev=$1 rw=$2 direct=$3 r0 w0
	read -r r0 w0 < <(disk_ios "$dev")
	LOAD_LOG=$WORK/load.log
	timeout 120 fio --name=load --filename="$dev" --ioengine=io_uring --direct="$direct" \
		--rw="$rw" --bs=4k --size=64M --time_based --runtime=60 --iodepth=32 \
		--numjobs=2 >"$LOAD_LOG" 2>&1 &
	LOAD_PID=$!
	wait_for_io "$dev" $((r0 + 150)) $((w0 + 150)) "$LOAD_PID"
}

# load_failed WHAT: the fio of io_load, whose device went away, must end
# within 10 s and on an IO error (not run out its 60 s); sets LOAD_RC
load_failed() {
	local what=$1
	wait_pid_gone "$LOAD_PID" 10 || fail "$what: fio still runs 10 s after its device went"
	wait "$LOAD_PID"
	LOAD_RC=$?
	[ "$LOAD_RC" -ne 124 ] || fail "$what: fio hung"
	[ "$LOAD_RC" -ne 0 ] ||
		fail "$what: fio ended without an error although its device went: $(tail -n 3 "$LOAD_LOG")"
	grep -q 'func=io_u error' "$LOAD_LOG" ||
		fail "$what: fio ended with status $LOAD_RC, not on an IO error: $(tail -n 3 "$LOAD_LOG")"
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

# now_ms: a monotonic-enough clock in milliseconds (busybox date has no %N)
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
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

# numfmt_bytes 16M -> 16777216
numfmt_bytes() {
	local v=$1 n
	n=${v%[kKmMgG]}
	case $v in
	*[kK]) echo $((n * 1024)) ;;
	*[mM]) echo $((n * MIB)) ;;
	*[gG]) echo $((n * GIB)) ;;
	*) echo "$v" ;;
	esac
}

# alloc_bytes FILE: bytes actually allocated to FILE
alloc_bytes() {
	echo $(($(stat -c '%b' "$1") * $(stat -c '%B' "$1")))
}

# --- NBD servers ---------------------------------------------------------------
# A server is started by name; its URI, pid and command are kept by that name.
declare -A NBD_URI=() NBD_PID=() NBD_CMD=()

# nbd_server_start NAME URI CMD...: start CMD, an NBD server that stays in
# the foreground and serves URI, with its output in $WORK/NAME.log, and wait
# up to 20 s until URI answers (nbdinfo)
nbd_server_start() {
	local name=$1 uri=$2
	shift 2
	NBD_URI[$name]=$uri
	NBD_CMD[$name]=$(printf '%q ' "$@")
	"$@" >>"$WORK/$name.log" 2>&1 </dev/null &
	NBD_PID[$name]=$!
	# no "Killed" job report when a case kills it
	disown "${NBD_PID[$name]}"
	nbd_server_wait "$name" 20 || {
		cat "$WORK/$name.log" >&2
		fail "NBD server $name ($*) did not answer on $uri within 20 s"
	}
}

# nbd_server_wait NAME TIMEOUT: wait until server NAME answers on its URI
nbd_server_wait() {
	local name=$1 timeout=$2 i
	for ((i = 0; i < timeout * 20; i++)); do # bounded: TIMEOUT seconds
		timeout 10 nbdinfo --size "${NBD_URI[$name]}" >/dev/null 2>&1 && return 0
		pid_alive "${NBD_PID[$name]}" || return 1
		sleep 0.05 # poll step of the bounded wait above
	done
	return 1
}

# nbd_server_stop NAME [SIGNAL]: end server NAME (default SIGTERM); it must
# be gone within 10 s
nbd_server_stop() {
	local name=$1 sig=${2:-TERM} pid=${NBD_PID[$1]}
	kill "-$sig" "$pid" 2>/dev/null || fail "NBD server $name (pid $pid) is not running"
	wait_pid_gone "$pid" 10 || fail "NBD server $name (pid $pid) survived SIG$sig"
}

# nbd_server_restart NAME [SIGNAL]: stop server NAME and start it again with
# the same command
nbd_server_restart() {
	local name=$1 cmd sock
	nbd_server_stop "$name" "${2:-TERM}"
	# a server killed with SIGKILL leaves its socket file behind
	if [[ ${NBD_URI[$name]} == *socket=* ]]; then
		sock=${NBD_URI[$name]#*socket=}
		rm -f "${sock%%&*}"
	fi
	eval "cmd=(${NBD_CMD[$name]})"
	# shellcheck disable=SC2154 # cmd is set by the eval
	nbd_server_start "$name" "${NBD_URI[$name]}" "${cmd[@]}"
}

# nbdkit_start NAME [NBDKIT-ARGS...] PLUGIN [PARAMS...]: nbdkit on the Unix
# socket $WORK/NAME.sock (export ""); prints nothing, NBD_URI[NAME] has the URI
nbdkit_start() {
	local name=$1
	shift
	rm -f "$WORK/$name.sock"
	nbd_server_start "$name" "nbd+unix:///?socket=$WORK/$name.sock" \
		nbdkit -f -U "$WORK/$name.sock" "$@"
}

# nbd_readback NAME FILE: the whole export of server NAME, read by a second
# client (nbdcopy), into FILE
nbd_readback() {
	rm -f "$2"
	timeout 120 nbdcopy "${NBD_URI[$1]}" "$2" || fail "nbdcopy ${NBD_URI[$1]} $2 failed"
}

# dev_readback DEV FILE: the whole of DEV, read with direct IO, into FILE
dev_readback() {
	timeout 120 dd if="$1" of="$2" bs=1M iflag=direct status=none || fail "reading $1 failed"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not available in the VM"
	done
}

# --- benchmarks (bench/ublk/*.sh)

# bench_init: what every bench script shares: RUNTIME, the length of each
# fio run (BENCH_RUNTIME seconds, default 6, at most 10), and 2 CPUs
bench_init() {
	RUNTIME=${BENCH_RUNTIME:-6}
	[ "$RUNTIME" -le 10 ] || RUNTIME=10
	[ "$(nproc)" -ge 2 ] || skip "the bench needs 2 CPUs, the VM has $(nproc)"
}

# bench_fio DEV RW QD [FIO OPTION...]: one time-based fio run of 4k RW
# (randread or randwrite) at iodepth QD; prints "IOPS MEAN_LATENCY_US"
bench_fio() {
	local dev=$1 rw=$2 qd=$3 dir=${2#rand}
	shift 3
	timeout $((RUNTIME + 60)) fio --name=bench --filename="$dev" \
		--ioengine=io_uring --direct=1 --bs=4k --rw="$rw" --iodepth="$qd" \
		--time_based --runtime="$RUNTIME" --ramp_time=1 --norandommap \
		--randrepeat=0 "$@" --output-format=json \
		--output="$WORK/fio.json" >"$WORK/fio.log" 2>&1 ||
		{ cat "$WORK/fio.log"; fail "fio $rw QD$qd on $dev failed"; }
	jq -r --arg d "$dir" '.jobs[0] |
		if .error != 0 then "error" else
		"\(.[$d].iops | floor) \(.[$d].lat_ns.mean / 1000)" end' \
		"$WORK/fio.json" || fail "cannot read fio's output"
}

# bench_ratio NEW OLD: NEW/OLD as "1.23x", "-" without OLD
bench_ratio() {
	awk -v n="$1" -v o="$2" 'BEGIN { if (o > 0) printf "%.2fx", n / o; else print "-" }'
}

# bench_median N...: the median of the numbers (of the middle two if even)
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2 }'
}

# bench_range N...: "LOWEST-HIGHEST"
bench_range() {
	printf '%s\n' "$@" | sort -g | sed -n '1h; $ { H; x; s/\n/-/; p }'
}

# bench_target LABEL NEW OLD MIN: "target LABEL: 1.23x (>= MINx: met)", or "not met"
bench_target() {
	local r met=met
	r=$(bench_ratio "$2" "$3")
	awk -v r="${r%x}" -v m="$4" 'BEGIN { exit !(r >= m) }' || met="not met"
	echo "target $1: $r (>= ${4}x: $met)"
}

# bench_progress MSG: progress to the VM's console; the output is the table
bench_progress() {
	if [ -w /dev/console ]; then
		echo "bench: $*" >/dev/console
	else
		echo "bench: $*" >&2
	fi
}

[ -c /dev/ublk-control ] || fail "/dev/ublk-control is missing (ublk_drv not loaded?)"
