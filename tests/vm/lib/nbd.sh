# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Case helpers: NBD servers. A server is started by name; its URI, pid and
# command are kept by that name.
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
