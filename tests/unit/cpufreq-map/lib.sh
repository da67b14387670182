# SPDX-License-Identifier: MIT
# Helpers for the cpufreq-map shell tests: fake sysfs trees in a temporary
# directory, device trees compiled by dtc, exact checks. Exit 0 pass,
# 1 fail, 77 skip (with the reason printed).
# The T_* results are for the scripts that source this file.
# shellcheck shell=bash disable=SC2034
set -u

CFM=${CFM:?set CFM to the cpufreq-map binary}
T_NAME=$(basename "$0" .sh)
T_FAILS=0
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cfm-$T_NAME.XXXXXX")
ROOT=$T_DIR/root
T_PIDS=()

t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT

t_skip() {
	echo "SKIP $T_NAME: $*"
	exit 77
}

t_need_dtc() {
	command -v dtc >/dev/null || t_skip "dtc not found (package device-tree-compiler)"
}

t_fail() {
	echo "FAIL $T_NAME: $*" >&2
	T_FAILS=$((T_FAILS + 1))
}

# t_eq WHAT WANT GOT
t_eq() {
	[ "$2" = "$3" ] || t_fail "$1: got '$3', want '$2'"
}

# t_file REL WANT: the content of $ROOT/REL, without its final newline.
t_file() {
	t_eq "$1" "$2" "$(cat "$ROOT/$1" 2>/dev/null || echo '<missing>')"
}

t_done() {
	if [ "$T_FAILS" -ne 0 ]; then
		echo "FAIL $T_NAME: $T_FAILS check(s) failed"
		exit 1
	fi
	echo "PASS $T_NAME"
	exit 0
}

# Plain files, written with O_TRUNC (the shell's >) as sysfs would be.
t_put() {
	mkdir -p "$(dirname "$ROOT/$1")"
	printf '%s\n' "$2" >"$ROOT/$1"
}

T_POLICY=sys/devices/system/cpu/cpufreq/policy

# t_policy ID "CPUS" MIN_KHZ MAX_KHZ CUR_KHZ
t_policy() {
	t_put "$T_POLICY$1/related_cpus" "$2"
	t_put "$T_POLICY$1/cpuinfo_min_freq" "$3"
	t_put "$T_POLICY$1/cpuinfo_max_freq" "$4"
	t_put "$T_POLICY$1/scaling_cur_freq" "$5"
	t_put "$T_POLICY$1/affected_cpus" "$2"
}

# t_cur ID KHZ
t_cur() {
	t_put "$T_POLICY$1/scaling_cur_freq" "$2"
}

# t_devfreq NAME "GOVERNORS" "FREQS" MIN_HZ MAX_HZ [DT_NODE_PATH]
# FREQS "-" leaves out available_frequencies.
t_devfreq() {
	local d=sys/class/devfreq/$1
	t_put "$d/governor" simple_ondemand
	t_put "$d/available_governors" "$2"
	[ "$3" = - ] || t_put "$d/available_frequencies" "$3"
	t_put "$d/min_freq" "$4"
	t_put "$d/max_freq" "$5"
	t_put "$d/cur_freq" "$4"
	t_put "$d/target_freq" "$4"
	case " $2 " in
	*" userspace "*) t_put "$d/userspace/set_freq" undefined ;;
	esac
	if [ $# -ge 6 ]; then
		mkdir -p "$ROOT/$d/device"
		ln -s "/sys/firmware/devicetree/base$6" "$ROOT/$d/device/of_node"
	fi
}

# t_dtc NAME [DTC OPTIONS] < source: compile to $T_DIR/NAME.dtb
t_dtc() {
	local name=$1
	shift
	dtc -q -I dts -O dtb "$@" -o "$T_DIR/$name.dtb" - ||
		{ t_fail "dtc could not compile $name"; return 1; }
}

# t_cfm ARGS...: run the tool; sets T_RC, T_OUT (stdout), T_ERR (stderr).
t_cfm() {
	T_OUT=$("$CFM" "$@" 2>"$T_DIR/stderr")
	T_RC=$?
	T_ERR=$(cat "$T_DIR/stderr")
}

# t_snapshot: every file of the fake tree with its content, for "no change".
t_snapshot() {
	(cd "$ROOT" && find . -type f -print0 | sort -z | xargs -0 sha1sum)
}

# t_wait_file REL WANT [SECONDS]: poll until $ROOT/REL reads WANT; bounded.
t_wait_file() {
	local deadline=$((SECONDS + ${3:-10}))
	while [ "$(cat "$ROOT/$1" 2>/dev/null)" != "$2" ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			t_fail "$1 did not become '$2' within ${3:-10} s (is '$(cat "$ROOT/$1" 2>/dev/null)')"
			return 1
		fi
		sleep 0.01 # poll step of a bounded wait (deadline above)
	done
}

# t_wait_grep FILE TEXT [SECONDS]: poll until FILE has a line TEXT.
t_wait_grep() {
	local deadline=$((SECONDS + ${3:-10}))
	until grep -qxF -- "$2" "$1" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			t_fail "$1 got no line '$2' within ${3:-10} s"
			return 1
		fi
		sleep 0.01 # poll step of a bounded wait (deadline above)
	done
}

# t_daemon ARGS...: start "cpufreq-map ARGS run" in the background;
# T_PID, stdout in $T_DIR/daemon.out, stderr in $T_DIR/daemon.err.
t_daemon() {
	"$CFM" "$@" run >"$T_DIR/daemon.out" 2>"$T_DIR/daemon.err" &
	T_PID=$!
	T_PIDS+=("$T_PID")
}

# t_stop: SIGTERM the daemon and wait for it; sets T_RC.
t_stop() {
	kill -TERM "$T_PID"
	wait "$T_PID"
	T_RC=$?
	T_PIDS=()
}
