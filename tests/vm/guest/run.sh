#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run.sh SUITE: runs each case of SUITE inside the test VM and reports on the
# result channel (UBLKVM_CHANNEL, default /dev/ttyS1), one line each:
#   @@UBLKVM READY <uname -r> <suite>
#   @@UBLKVM PLAN <case>                      once per selected case
#   @@UBLKVM BEGIN <case> <timeout>
#   | <line>                                  the case's stdout and stderr
#   @@UBLKVM END <case> PASS|FAIL|SKIP <seconds> [reason]
#   @@UBLKVM DONE <passed> <failed> <skipped>
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

emit() {
	printf '@@UBLKVM %s\n' "$*" >&3
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

case_timeout() {
	local t
	t=$(sed -n '1,15{s/^# Timeout: *\([0-9][0-9]*\).*/\1/p}' "$1")
	echo "${t:-$default_timeout}"
}

# header_says FILE KEY: the case's header has "# KEY: yes"
header_says() {
	sed -n '1,15p' "$1" | grep -Eiq "^# $2: *yes"
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
emit "READY $(uname -r) $suite"

cases=()
for f in "$dir"/*.sh; do
	[ -f "$f" ] || continue
	name=${f##*/}
	name=${name%.sh}
	selected "$name" || continue
	cases+=("$f")
	emit "PLAN $name"
done

npass=0 nfail=0 nskip=0
for f in "${cases[@]}"; do
	name=${f##*/}
	name=${name%.sh}
	t=$(case_timeout "$f")
	work=/tmp/ublkvm/$name
	log=/run/ublkvm/$name.log
	skipf=/run/ublkvm/$name.skip
	rm -rf "$work" "$skipf"
	mkdir -p "$work"
	dmesg_before=$(dmesg | wc -l)
	emit "BEGIN $name $t"
	echo "run.sh: === $name (timeout ${t}s)" >/dev/console
	start=$(date +%s)
	(
		cd "$work" || exit 1
		export UBLKVM_WORK=$work UBLKVM_SKIP_FILE=$skipf UBLKVM_CASE=$name
		exec timeout -k 10 "$t" bash "$f"
	) </dev/null >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))

	status=FAIL reason=""
	case $rc in
	0) status=PASS ;;
	77)
		status=SKIP
		reason=$(head -n 1 "$skipf" 2>/dev/null)
		[ -n "$reason" ] || reason="(no reason given)"
		;;
	124 | 137) echo "run.sh: $name timed out after ${t}s" >>"$log" ;;
	*) echo "run.sh: $name exited with status $rc" >>"$log" ;;
	esac

	left=$(ublk_devices | tr "\n" " ")
	if [ -n "$left" ]; then
		echo "run.sh: $name left ublk devices behind:" "$left" >>"$log"
		status=FAIL
	fi
	cleanup >>"$log" 2>&1
	# failed requests on ublk devices and kernel warnings fail the case too
	kmsg=$(dmesg | tail -n +"$((dmesg_before + 1))")
	if ! header_says "$f" Allow-IO-errors && grep -q 'error, dev ublkb' <<<"$kmsg"; then
		echo "run.sh: the kernel reported failed requests on ublk devices during $name" >>"$log"
		status=FAIL
	fi
	if grep -Eq 'BUG:|WARNING:|Oops|general protection|blocked for more than|RIP:' <<<"$kmsg"; then
		echo "run.sh: kernel warning or oops during $name" >>"$log"
		status=FAIL
	fi
	if [ "$status" = FAIL ]; then
		echo "run.sh: kernel messages during $name:" >>"$log"
		tail -n 60 <<<"$kmsg" >>"$log"
	fi
	rm -rf "$work"

	sed 's/^/| /' "$log" >&3
	sed "s/^/[$name] /" "$log" >/dev/console
	emit "END $name $status $secs $reason"
	echo "run.sh: === $name $status (${secs}s)" >/dev/console
	case $status in
	PASS) npass=$((npass + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	*) nfail=$((nfail + 1)) ;;
	esac
done

emit "DONE $npass $nfail $nskip"
exec 3>&-
[ "$nfail" -eq 0 ]
