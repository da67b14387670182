# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Case helpers: ending a case (fail, skip), bounded waits, processes, sizes.

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

# now_ms: a monotonic-enough clock in milliseconds (busybox date has no %N)
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
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

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not available in the VM"
	done
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

# by_run_length DEFAULT SANITIZED LONG: the size of a soak or stress run:
# DEFAULT in the default suite, SANITIZED in the sanitizer pass (whose
# programs run several times slower), LONG in the long run (scripts/test
# --long, ublkvm.long=1)
by_run_length() {
	if [ "${UBLKVM_LONG:-0}" = 1 ]; then
		echo "$3"
	elif [ -n "${UBLKVM_SANITIZE:-}" ]; then
		echo "$2"
	else
		echo "$1"
	fi
}
