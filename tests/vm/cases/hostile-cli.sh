#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: every command line of hostile-cli.table exits 1 with its one error line, prints nothing on stdout and leaves devices, processes and run directory as they were; devices 3 and 5 stay live and intact
# Timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require_cmd setpriv
TABLE=$(dirname "$0")/hostile-cli.table
[ -r "$TABLE" ] || fail "$TABLE is missing (mkinitramfs.sh ships cases/*.table)"

# The records of this case's devices only, so that "nothing left" is exact.
export UBLK_RUN_DIR=$WORK/run
LIVE=3 REC=5
CTL=/dev/ublk-control
CTL_MODE=$(stat -c %a "$CTL") || fail "cannot stat $CTL"
trap 'chmod "$CTL_MODE" "$CTL"' EXIT

# --- what the rows point at --------------------------------------------------
mkdir "$WORK/dir"
ln -s dir "$WORK/dirlink"
ln -s nowhere "$WORK/dangling"
ln -s loop2 "$WORK/loop1"
ln -s loop1 "$WORK/loop2"
mkfifo "$WORK/fifo"
: >"$WORK/empty"
head -c 100 /dev/zero >"$WORK/small"
backing_file "$WORK/backing" 32M
backing_file "$WORK/secret" 16M
chmod 000 "$WORK/secret"

# root bypasses file modes through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
# shellcheck disable=SC2054 # commas belong to setpriv's arguments
NOCAPS=(setpriv --inh-caps=-dac_override,-dac_read_search
	--bounding-set=-dac_override,-dac_read_search)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
nocaps_works=1
if "${NOCAPS[@]}" cat "$WORK/secret" >/dev/null 2>&1; then
	nocaps_works=0
fi

# --- the devices that exist before each row ----------------------------------
id=$(ublk_add -t loop -n "$LIVE" -f "$WORK/backing") || fail "ublk add -n $LIVE failed"
[ "$id" = "$LIVE" ] || fail "ublk add -n $LIVE gave device $id"
id=$(ublk_add -t null -n "$REC" -r 1 -s 64M) || fail "ublk add -n $REC -r 1 failed"
[ "$id" = "$REC" ] || fail "ublk add -n $REC gave device $id"
head -c $((4 * MIB)) /dev/urandom >"$WORK/pattern"
must dd if="$WORK/pattern" of="/dev/ublkb$LIVE" bs=1M oflag=direct status=none

# ublk processes: those with the command name ublk that are not zombies
# (the builtins only: a row is checked in a few milliseconds)
ublk_procs() {
	local p comm stat
	for p in /proc/[0-9]*; do
		read -r comm 2>/dev/null <"$p/comm" || continue
		[ "$comm" = ublk ] || continue
		read -r stat 2>/dev/null <"$p/stat" || continue
		stat=${stat##*) }
		[ "${stat%% *}" = Z ] || printf '%s ' "${p#/proc/}"
	done
}

# the state a row must leave as it found it: the kernel's devices and
# their nodes, the ublk processes, the run directory. (`ublk list` is
# compared before and after all rows: a row that changed a device changed
# its nodes or its daemon too, and starting ublk costs 0.1-0.3 s a row.)
snapshot() {
	local f
	SNAP_PROCS=$(ublk_procs)
	SNAP_RUN=""
	for f in "$UBLK_RUN_DIR"/* "$UBLK_RUN_DIR"/.*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		case ${f##*/} in . | ..) continue ;; esac
		SNAP_RUN+="${f##*/} "
	done
	SNAP_NODES=""
	for f in /dev/ublkb* /dev/ublkc* /sys/class/ublk-char/*; do
		[ -e "$f" ] && SNAP_NODES+="$f "
	done
}

snapshot
BASE_PROCS=$SNAP_PROCS BASE_RUN=$SNAP_RUN BASE_NODES=$SNAP_NODES
ORIG_LIST=$(list_json)

echo "before the rows: devices $BASE_NODES; ublk processes $BASE_PROCS; run directory: $BASE_RUN"
[ "$BASE_RUN" = "$LIVE.json $REC.json " ] || fail "run directory holds '$BASE_RUN', not the two records"
[ "$(wc -w <<<"$BASE_PROCS")" -eq 4 ] ||
	fail "expected a supervisor and a daemon per device, found ublk processes $BASE_PROCS"
jq -e --argjson a "$LIVE" --argjson b "$REC" \
	'length == 2 and all(.[]; .state == "LIVE" and (.id == $a or .id == $b))' \
	>/dev/null <<<"$ORIG_LIST" || fail "devices $LIVE and $REC are not both LIVE: $ORIG_LIST"

# --- the rows ------------------------------------------------------------
# run_row LINENO REGEX RUNNER ARGS...: one row; prints "ok" or what is wrong
# (several reasons, one a line) and returns 1 if anything is.
run_row() {
	local line=$1 regex=$2 runner=$3 rc msg
	local -a pre=() out err why=()
	shift 3
	case $runner in
	"") ;;
	@nobody | @nobody-ctl) pre=("${NOBODY[@]}") ;;
	@nocaps) pre=("${NOCAPS[@]}") ;;
	*) fail "hostile-cli.table:$line: unknown runner '$runner'" ;;
	esac
	[ "$runner" != @nobody-ctl ] || chmod 666 "$CTL" || fail "chmod 666 $CTL failed"
	timeout 60 "${pre[@]}" ublk "$@" >"$WORK/.out" 2>"$WORK/.err" </dev/null
	rc=$?
	[ "$runner" != @nobody-ctl ] || chmod "$CTL_MODE" "$CTL" || fail "chmod $CTL_MODE $CTL failed"
	mapfile -t out <"$WORK/.out"
	mapfile -t err <"$WORK/.err"
	case $rc in
	1) ;;
	0) why+=("exit status 0: it succeeded") ;;
	124) why+=("it did not return within 60 s") ;;
	*) why+=("exit status $rc, not 1$( ((rc >= 128)) && echo ": killed by signal $((rc - 128))")") ;;
	esac
	[ "${#out[@]}" -eq 0 ] || why+=("stdout: ${out[*]}")
	if [ "${#err[@]}" -ne 1 ]; then
		why+=("${#err[@]} lines on stderr, not 1:" "${err[@]/#/    }")
	elif [[ ${err[0]} != "ublk: "* ]]; then
		why+=("the error line does not start with 'ublk: ': ${err[0]}")
	else
		msg=${err[0]#ublk: }
		[[ $msg =~ ^($regex)$ ]] || why+=("'$msg' does not match /^($regex)\$/")
	fi
	snapshot
	[ "$SNAP_NODES" = "$BASE_NODES" ] || why+=("device nodes '$BASE_NODES' became '$SNAP_NODES'")
	[ "$SNAP_PROCS" = "$BASE_PROCS" ] || why+=("ublk processes '$BASE_PROCS' became '$SNAP_PROCS'")
	[ "$SNAP_RUN" = "$BASE_RUN" ] || why+=("run directory '$BASE_RUN' became '$SNAP_RUN'")
	if [ "${#why[@]}" -eq 0 ]; then
		echo "ok   :$line ${runner:+$runner }ublk $* -> ${err[0]}"
		return 0
	fi
	echo "FAIL :$line ${runner:+$runner }ublk $*"
	printf '       %s\n' "${why[@]}"
	# what this row left is its failure alone: the next rows start from here
	BASE_PROCS=$SNAP_PROCS BASE_RUN=$SNAP_RUN BASE_NODES=$SNAP_NODES
	return 1
}

rows=0 failed=0 skipped=0 lineno=0 start=$SECONDS
while IFS= read -r row || [ -n "$row" ]; do
	lineno=$((lineno + 1))
	[[ $row =~ ^[[:space:]]*(#|$) ]] && continue
	[[ $row == *"|"* ]] || fail "hostile-cli.table:$lineno: no '|' in '$row'"
	regex=${row%|*}
	regex=${regex%"${regex##*[![:space:]]}"}
	read -r -a words <<<"${row##*|}"
	runner=""
	if [[ ${words[0]:-} == @* ]]; then
		runner=${words[0]}
		words=("${words[@]:1}")
	fi
	args=()
	for w in "${words[@]}"; do
		[ "$w" = "''" ] && w=""
		w=${w//\$WORK/$WORK}
		w=${w//\$LIVE/$LIVE}
		w=${w//\$REC/$REC}
		[[ $w != *'$'* ]] || fail "hostile-cli.table:$lineno: unknown variable in '$w'"
		args+=("$w")
	done
	rows=$((rows + 1))
	if [ "$runner" = @nocaps ] && [ "$nocaps_works" = 0 ]; then
		echo "skip :$lineno dropping CAP_DAC_OVERRIDE does not stop root from reading a mode 000 file here"
		skipped=$((skipped + 1))
		continue
	fi
	run_row "$lineno" "$regex" "$runner" "${args[@]}" || failed=$((failed + 1))
done <"$TABLE"
echo "$rows rows in $((SECONDS - start)) s: $((rows - failed - skipped)) passed, $failed failed, $skipped skipped"
[ "$rows" -ge 40 ] || fail "hostile-cli.table has only $rows rows"
[ "$failed" -eq 0 ] || fail "$failed of $rows rows failed"

# --- the devices that were there all along ----------------------------------
# unchanged (still LIVE, the same daemons), and those daemons still run
list=$(list_json)
[ "$list" = "$ORIG_LIST" ] ||
	fail "devices $LIVE and $REC changed during the rows: $ORIG_LIST -> $list"
for pid in $(jq -r '.[].daemon_pid' <<<"$list"); do
	pid_alive "$pid" || fail "daemon $pid of a pre-existing device is gone"
done
must dd if="/dev/ublkb$LIVE" of="$WORK/readback" bs=1M count=4 iflag=direct status=none
cmp "$WORK/pattern" "$WORK/readback" || fail "device $LIVE lost the data written before the rows"
fio_verify after "/dev/ublkb$LIVE" 4M

# the limits the rows run into are the kernel's, not tighter: the last id
# and the largest size work
id=$(ublk_add -t null -n 1048575 -s 9223372036854775296) ||
	fail "ublk add -n 1048575 -s 9223372036854775296 failed"
[ "$id" = 1048575 ] || fail "ublk add -n 1048575 gave device $id"
# (from the text: jq reads numbers as doubles)
json=$(ublk list -n 1048575 --json) || fail "ublk list -n 1048575 --json failed"
[[ $json == *'"size":9223372036854775296,'* ]] ||
	fail "device 1048575 is not listed with 9223372036854775296 bytes: $json"
[ "$(blockdev --getsize64 /dev/ublkb1048575)" = 9223372036854775296 ] ||
	fail "/dev/ublkb1048575 has $(blockdev --getsize64 /dev/ublkb1048575) bytes"
ublk_del 1048575

ublk_del "$LIVE"
ublk_del "$REC"
assert_list_empty
assert_no_daemon
left=$(ls -A "$UBLK_RUN_DIR")
[ -z "$left" ] || fail "the run directory still holds: $left"
