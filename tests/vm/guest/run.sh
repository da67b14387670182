#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run.sh SUITE: runs each case of SUITE inside the test VM and reports on the
# result channel (UBLKVM_CHANNEL, default /dev/ttyS1) in TAP (see
# tests/tap.sh): the plan, then for each case a "# begin NAME" comment
# and, once it ended, its test point with its duration and output.
#
# SUITE tests runs /vm/cases/*.sh, bench /vm/bench/*.sh, demo /vm/demo/*.sh,
# in name order, filtered by UBLKVM_FILTER (comma-separated globs on the case name).
# Each case runs with bash under a timeout (UBLKVM_TIMEOUT, default 300 s; a
# "# Timeout: N" line in the case's header overrides it), stdin /dev/null, in
# its own work directory on tmpfs.  Exit status 0 is a pass, 77 a skip (the
# reason is what lib.sh's skip wrote), anything else a failure.  After each
# case everything it may have left is cleaned up (mounts, ublk devices, kernel
# loop devices, modules, processes).  A case also fails if it left a ublk
# device behind, if the kernel logged a failed request on a ublk device
# (unless its header says "# Allow-IO-errors: yes") or logged a warning or
# an oops while it ran.
#
# With a sanitized build (UBLKVM_SANITIZE, the build's b_sanitize, e.g.
# address,undefined) the sanitizers of every program the case starts, the
# daemons `ublk add` leaves behind (stderr on /dev/null) included, write
# their reports into a directory of the case's own (log_path); anything
# found there after the case and its clean-up fails the case, and the
# reports are printed with its output.  ASan and UBSan stop the program at
# the first error; LeakSanitizer checks each program as it exits.  A case
# whose header says "# Sanitizers: no, REASON" is skipped there.

set -u

suite=${1:-tests}
chan=${UBLKVM_CHANNEL:-/dev/ttyS1}
filter=${UBLKVM_FILTER:-*}
default_timeout=${UBLKVM_TIMEOUT:-300}
[ -n "$filter" ] || filter='*'

if [ -c "$chan" ]; then
	stty -F "$chan" raw -echo 2>/dev/null
fi
exec 3>"$chan" || exit 1
# shellcheck source=../../tap.sh
. /vm/tap.sh

sanitize=${UBLKVM_SANITIZE:-}
san_root=/run/ublkvm/sanitizer
san_syslog=/run/ublkvm/syslog
san_broken="" syslogd_pid=""

# sanitizer_setup: what the sanitizers need of the guest.  ASan reserves
# terabytes of address space (MAP_NORESERVE) for its shadow memory: no limit
# on virtual memory, and no strict overcommit accounting (mode 2 would
# refuse it).  UBSan next to ASan (GCC's runtimes) cannot write a file of
# its own: its log_path moves ASan's reports instead and its own go to
# stderr, which a daemon has on /dev/null.  So it logs to syslog as well
# (log_to_syslog), and a syslogd keeps what it receives (the daemons' own
# messages too) in a file.  On failure san_broken says what failed.
sanitizer_setup() {
	local i
	if ! ulimit -v unlimited; then
		san_broken="cannot lift the limit on virtual memory"
		return 1
	fi
	if [ "$(cat /proc/sys/vm/overcommit_memory)" = 2 ] &&
		! echo 0 >/proc/sys/vm/overcommit_memory; then
		san_broken="cannot turn strict overcommit off"
		return 1
	fi
	mkdir -p "$san_root"
	: >"$san_syslog"
	rm -f /dev/log
	syslogd -n -O "$san_syslog" </dev/null >/dev/null 2>&1 3>&- &
	syslogd_pid=$!
	for ((i = 0; i < 200; i++)); do # bounded: 10 s
		[ -S /dev/log ] && return 0
		sleep 0.05 # poll step of the bounded wait above
	done
	san_broken="syslogd did not create /dev/log"
	return 1
}

# sanitizer_env DIR: the sanitizers of every program started from now on
# report into DIR, one file per process: asan.<program>.<pid> (ASan and
# LeakSanitizer), ubsan.<program>.<pid> (UBSan without ASan), lsan.* (a
# LeakSanitizer-only build).  UBSan next to ASan logs to syslog.
sanitizer_env() {
	local dir=$1 common=log_exe_name=1:detect_leaks=1:abort_on_error=0:disable_coredump=1
	rm -rf "$dir"
	mkdir -p "$dir"
	# cases may drop privileges: anyone may write reports
	chmod 1777 "$dir"
	case ,$sanitize, in
	*,address,*)
		export ASAN_OPTIONS="log_path=$dir/asan:halt_on_error=1:$common"
		export UBSAN_OPTIONS="log_to_syslog=1:halt_on_error=1:print_stacktrace=1:$common"
		# LSAN_OPTIONS would override ASan's log_path
		unset LSAN_OPTIONS
		;;
	*)
		export UBSAN_OPTIONS="log_path=$dir/ubsan:halt_on_error=1:print_stacktrace=1:$common"
		export LSAN_OPTIONS="log_path=$dir/lsan:$common"
		unset ASAN_OPTIONS
		;;
	esac
}

# syslog_size: bytes syslogd has written so far
syslog_size() {
	stat -c %s "$san_syslog"
}

# syslog_since OFFSET: what syslogd wrote after OFFSET bytes, once it has
# written everything sent before now (a marker sent after it has arrived)
syslog_since() {
	local offset=$1 marker="end of case $RANDOM$RANDOM" i
	logger -t run.sh "$marker"
	for ((i = 0; i < 200; i++)); do # bounded: 10 s
		tail -c +"$((offset + 1))" "$san_syslog" | grep -qF "$marker" && break
		sleep 0.05 # poll step of the bounded wait above
	done
	tail -c +"$((offset + 1))" "$san_syslog" | grep -vF "$marker"
}

# sanitizer_reports DIR OFFSET: print the reports written into DIR and, if
# UBSan logged a report to syslog after OFFSET, what syslog received since;
# status 1 when there was any report.
sanitizer_reports() {
	local dir=$1 offset=$2 f found=0 syslog
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		found=1
		echo "--- ${f##*/}:"
		cat "$f"
	done
	syslog=$(syslog_since "$offset")
	if grep -Eq 'runtime error:|UndefinedBehaviorSanitizer' <<<"$syslog"; then
		found=1
		echo "--- syslog (UBSan's reports and the daemons' messages):"
		printf '%s\n' "$syslog"
	fi
	[ "$found" = 0 ]
}

case $suite in
tests) dir=/vm/cases ;;
bench) dir=/vm/bench ;;
demo) dir=/vm/demo ;;
*)
	echo "run.sh: unknown suite '$suite'" >&2
	exit 2
	;;
esac

selected() {
	local name=$1 glob
	local -a globs
	IFS=, read -r -a globs <<<"$filter"
	for glob in "${globs[@]}"; do
		# shellcheck disable=SC2053
		[[ $name == $glob ]] && return 0
	done
	return 1
}

# case_timeout FILE: the case's limit; four times as long in the long run
# (ublkvm.long=1), whose soak and stress cases run for minutes
case_timeout() {
	local t
	t=$(sed -n '1,15{s/^# Timeout: *\([0-9][0-9]*\).*/\1/p}' "$1")
	t=${t:-$default_timeout}
	[ "${UBLKVM_LONG:-0}" != 1 ] || t=$((t * 4))
	echo "$t"
}

# header_says FILE KEY: the case's header has "# KEY: yes"
header_says() {
	sed -n '1,15p' "$1" | grep -Eiq "^# $2: *yes"
}

# sanitizers_no FILE: the reason in the case's header line
# "# Sanitizers: no, REASON" (what the case measures means nothing in a
# sanitized build); status 1 if it has no such line
sanitizers_no() {
	local line
	while IFS= read -r line; do
		if [[ $line =~ ^#\ Sanitizers:\ *no([\ ,:;]+(.*))?$ ]]; then
			echo "${BASH_REMATCH[2]:-(no reason given)}"
			return 0
		fi
	done < <(head -n 15 "$1")
	return 1
}

ublk_devices() {
	local d
	for d in /dev/ublkc[0-9]* /dev/ublkb[0-9]* /sys/class/ublk-char/ublkc[0-9]*; do
		[ -e "$d" ] && echo "$d"
	done
}

# Processes that are not PID 1, this script, or kernel threads.
stray_pids() {
	local p pid
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = 1 ] || [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
		[ "$pid" = "$syslogd_pid" ] && continue
		[ -s "$p/cmdline" ] || continue
		echo "$pid"
	done
}

# unmount_all ublk|other: unmount the file systems on ublk devices, or the
# others a case may have mounted (under /tmp or /mnt, or on a test device)
unmount_all() {
	local which=$1 dev mnt rest
	# the last mounted first
	while read -r dev mnt rest; do
		case $which,$dev in
		ublk,/dev/ublkb*) ;;
		ublk,*) continue ;;
		other,/dev/ublkb*) continue ;;
		other,/dev/loop* | other,/dev/nullb* | other,/dev/ram* | other,/dev/nbd*) ;;
		other,*)
			case $mnt in
			/tmp/* | /mnt/*) ;;
			*) continue ;;
			esac
			;;
		esac
		echo "run.sh: unmounting $mnt ($dev)"
		timeout 30 umount "$mnt" 2>&1 || umount -l "$mnt" 2>&1
	done < <(tac /proc/mounts)
}

cleanup() {
	local pids left p
	unmount_all ublk
	if [ -n "$(ublk_devices)" ] && command -v ublk >/dev/null; then
		timeout 60 ublk del --all 2>&1 || echo "run.sh: ublk del --all failed ($?)"
	fi
	pids=$(stray_pids)
	if [ -n "$pids" ]; then
		echo "run.sh: killing leftover processes:"
		for p in $pids; do
			echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		done
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null
		for _ in $(seq 100); do # bounded: 10 s
			[ -z "$(stray_pids)" ] && break
			sleep 0.1 # poll step of the bounded wait above
		done
	fi
	if [ -n "$(ublk_devices)" ] && command -v ublk >/dev/null; then
		timeout 60 ublk del --all 2>&1 || echo "run.sh: ublk del --all failed ($?)"
	fi
	left=$(ublk_devices | tr "\n" " ")
	[ -z "$left" ] || echo "run.sh: ublk devices remain after cleanup:" "$left"
	unmount_all other
	losetup -D 2>/dev/null
	local m
	for m in null_blk brd nbd loop; do
		# loaded as a module (not built in)
		[ -e "/sys/module/$m/initstate" ] && ! rmmod "$m" 2>/dev/null &&
			echo "run.sh: cannot unload $m"
	done
	return 0
}

mkdir -p /run/ublkvm /tmp/ublkvm
if [ -n "$sanitize" ] && ! sanitizer_setup; then
	san_broken="the guest could not be set up for sanitizers: $san_broken"
	echo "run.sh: $san_broken" >/dev/console
fi
echo "TAP version 13" >&3
echo "# $(uname -r), suite $suite" >&3

cases=()
for f in "$dir"/*.sh; do
	[ -f "$f" ] || continue
	name=${f##*/}
	name=${name%.sh}
	selected "$name" || continue
	cases+=("$f")
done
echo "1..${#cases[@]}" >&3

# now_ms: milliseconds (busybox date has no %N)
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

n=0 nfail=0
for f in "${cases[@]}"; do
	name=${f##*/}
	name=${name%.sh}
	n=$((n + 1))
	log=/run/ublkvm/$name.log
	: >"$log"
	echo "# begin $name" >&3
	if [ -n "$san_broken" ]; then
		tap_emit_result 3 "$n" "$name" FAIL "$san_broken" 0 "$log"
		nfail=$((nfail + 1))
		continue
	fi
	if [ -n "$sanitize" ] && why=$(sanitizers_no "$f"); then
		tap_emit_result 3 "$n" "$name" SKIP "not run with sanitizers: $why" 0 "$log"
		continue
	fi
	t=$(case_timeout "$f")
	work=/tmp/ublkvm/$name
	skipf=/run/ublkvm/$name.skip
	rm -rf "$work" "$skipf"
	mkdir -p "$work"
	dmesg_before=$(dmesg | wc -l)
	if [ -n "$sanitize" ]; then
		sanitizer_env "$san_root/$name"
		syslog_before=$(syslog_size)
	fi
	echo "run.sh: === $name (timeout ${t}s)" >/dev/console
	start=$(now_ms)
	(
		cd "$work" || exit 1
		export UBLKVM_WORK=$work UBLKVM_SKIP_FILE=$skipf UBLKVM_CASE=$name
		exec timeout -k 10 "$t" bash "$f"
	) </dev/null >"$log" 2>&1
	rc=$?
	ms=$(($(now_ms) - start))

	status=FAIL reason=""
	case $rc in
	0) status=PASS ;;
	77)
		status=SKIP
		reason=$(head -n 1 "$skipf" 2>/dev/null)
		[ -n "$reason" ] || reason="(no reason given)"
		;;
	124 | 137) reason="timed out after ${t}s" ;;
	*) reason="exited with status $rc" ;;
	esac

	left=$(ublk_devices | tr "\n" " ")
	if [ -n "$left" ]; then
		echo "run.sh: $name left ublk devices behind:" "$left" >>"$log"
		status=FAIL reason=${reason:-left ublk devices behind}
	fi
	cleanup >>"$log" 2>&1
	# failed requests on ublk devices and kernel warnings fail the case too
	kmsg=$(dmesg | tail -n +"$((dmesg_before + 1))")
	if ! header_says "$f" Allow-IO-errors && grep -q 'error, dev ublkb' <<<"$kmsg"; then
		echo "run.sh: the kernel reported failed requests on ublk devices during $name" >>"$log"
		status=FAIL reason=${reason:-failed requests on a ublk device}
	fi
	if grep -Eq 'BUG:|WARNING:|Oops|general protection|blocked for more than|RIP:' <<<"$kmsg"; then
		echo "run.sh: kernel warning or oops during $name" >>"$log"
		status=FAIL reason=${reason:-kernel warning or oops}
	fi
	# reports of the case's programs and of the clean-up after it
	if [ -n "$sanitize" ] && ! sanitizer_reports "$san_root/$name" "$syslog_before" >"$log.san"; then
		{
			echo "run.sh: sanitizer reports during $name ($sanitize):"
			cat "$log.san"
		} >>"$log"
		status=FAIL reason=${reason:-sanitizer reports}
	fi
	rm -f "$log.san"
	if [ "$status" = FAIL ]; then
		echo "run.sh: kernel messages during $name:" >>"$log"
		tail -n 60 <<<"$kmsg" >>"$log"
	fi
	rm -rf "$work"

	sed "s/^/[$name] /" "$log" >/dev/console
	tap_emit_result 3 "$n" "$name" "$status" "$reason" "$ms" "$log"
	echo "run.sh: === $name $status (${ms} ms)" >/dev/console
	[ "$status" = FAIL ] && nfail=$((nfail + 1))
done

exec 3>&-
[ "$nfail" -eq 0 ]
