#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the daemon switches the devices, follows CPU frequency
# changes within the polling bound (userspace and min_freq control,
# hold-down), reports through status, and restores governors and limits
# on SIGTERM and on SIGINT.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T_DIR/cfm.conf" <<'EOF_CONF'
device l3
table cpu 0
300000 300000000
1800000 1200000000
device ddr
EOF_CONF

t_policy 0 "0 1 2 3" 300000 1800000 300000
t_policy 4 "4 5 6 7" 800000 2400000 800000
t_devfreq l3 "simple_ondemand userspace" - 300000000 1200000000
t_devfreq ddr "simple_ondemand performance" "200000000 500000000 800000000" 200000000 800000000
L3=sys/class/devfreq/l3
DDR=sys/class/devfreq/ddr
STATE=$ROOT/run/cpufreq-map/state
ARGS=(--sysfs-root "$ROOT" --config "$T_DIR/cfm.conf")
# How long a device may take to follow a 10 ms poll, with room for a busy
# or sanitized machine.
BOUND=3

t_daemon "${ARGS[@]}" --interval 10 --hold-down 100
t_wait_file "$L3/userspace/set_freq" 300000000 "$BOUND"
t_wait_file "$DDR/min_freq" 200000000 "$BOUND"
t_file "$L3/governor" userspace
t_file "$DDR/governor" simple_ondemand

# Up: at once.
t_cur 0 1800000
t_wait_file "$L3/userspace/set_freq" 1200000000 "$BOUND"
t_wait_file "$DDR/min_freq" 800000000 "$BOUND"
t_wait_grep "$STATE" "device ddr 800000000 2" "$BOUND"

t_cfm "${ARGS[@]}" status
t_eq "status: exit" 0 "$T_RC"
want=$(
	printf '%-7s %-12s %10s %10s %10s %8s\n' policy cpus cur_kHz min_kHz max_kHz changes
	printf '%-7s %-12s %10s %10s %10s %8s\n' 0 0-3 1800000 300000 1800000 1
	printf '%-7s %-12s %10s %10s %10s %8s\n' 4 4-7 800000 800000 2400000 0
	printf '%-16s %-10s %-16s %12s %12s %11s\n' device control governor target_Hz cur_Hz transitions
	printf '%-16s %-10s %-16s %12s %12s %11s\n' l3 userspace userspace 1200000000 300000000 2
	printf '%-16s %-10s %-16s %12s %12s %11s\n' ddr min_freq simple_ondemand 800000000 200000000 2
)
t_eq "status" "$want" "$T_OUT"

# A lower request elsewhere changes nothing: the maximum still holds.
t_cur 4 1600000
t_wait_grep "$STATE" "policy 4 1" "$BOUND"
t_file "$DDR/min_freq" 800000000

# Down: after the hold-down.
t_cur 0 300000
t_wait_file "$L3/userspace/set_freq" 300000000 "$BOUND"
t_wait_file "$DDR/min_freq" 500000000 "$BOUND"

t_stop
t_eq "SIGTERM: exit" 0 "$T_RC"
t_file "$L3/governor" simple_ondemand
t_file "$L3/min_freq" 300000000
t_file "$L3/max_freq" 1200000000
t_file "$DDR/governor" simple_ondemand
t_file "$DDR/min_freq" 200000000
t_file "$DDR/max_freq" 800000000
t_eq "state file removed" no "$([ -e "$STATE" ] && echo yes || echo no)"
t_eq "log" "cpufreq-map: event source: polling every 10 ms (sysfs root is not /)
cpufreq-map: following 2 policies for 2 devices
cpufreq-map: restored 2 devices" "$(cat "$T_DIR/daemon.err")"

# Without a daemon, status has no counts.
t_cfm "${ARGS[@]}" status
t_eq "status, no daemon" "$(
	printf '%-16s %-10s %-16s %12s %12s %11s\n' l3 userspace simple_ondemand 300000000 300000000 -
)" "$(echo "$T_OUT" | grep '^l3 ')"

# SIGINT restores too.
t_daemon "${ARGS[@]}" --interval 10
t_wait_file "$DDR/min_freq" 500000000 "$BOUND"
kill -INT "$T_PID"
wait "$T_PID"
t_eq "SIGINT: exit" 0 $?
T_PIDS=()
t_file "$L3/governor" simple_ondemand
t_file "$DDR/min_freq" 200000000
t_done
