#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: --dry-run decides and prints but writes nothing, for apply
# and for the daemon (which still follows the CPUs).
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T_DIR/cfm.conf" <<'EOF_CONF'
device l3
table
300000 300000000
1800000 1200000000
device ddr
EOF_CONF

t_policy 0 "0 1 2 3" 300000 1800000 300000
t_devfreq l3 "simple_ondemand userspace" - 300000000 1200000000
t_devfreq ddr "simple_ondemand" "200000000 800000000" 200000000 800000000
before=$(t_snapshot)

t_cfm --sysfs-root "$ROOT" --config "$T_DIR/cfm.conf" --dry-run apply
t_eq "apply: exit" 0 "$T_RC"
t_eq "apply: stdout" "l3: 300000000 Hz
ddr: 200000000 Hz" "$T_OUT"
t_eq "apply: stderr" "" "$T_ERR"
t_eq "apply: tree unchanged" "$before" "$(t_snapshot)"

t_daemon --sysfs-root "$ROOT" --config "$T_DIR/cfm.conf" -n --interval 10
t_wait_grep "$T_DIR/daemon.out" "ddr: 200000000 Hz"
t_cur 0 1800000
before=$(t_snapshot)
t_wait_grep "$T_DIR/daemon.out" "l3: 1200000000 Hz"
t_wait_grep "$T_DIR/daemon.out" "ddr: 800000000 Hz"
t_stop
t_eq "run: exit" 0 "$T_RC"
t_eq "run: stdout" "l3: 300000000 Hz
ddr: 200000000 Hz
l3: 1200000000 Hz
ddr: 800000000 Hz" "$(cat "$T_DIR/daemon.out")"
t_eq "run: stderr" "cpufreq-map: event source: polling every 10 ms (sysfs root is not /)
cpufreq-map: following 1 policies for 2 devices (dry run: writing nothing)" "$(cat "$T_DIR/daemon.err")"
t_eq "run: tree unchanged" "$before" "$(t_snapshot)"
t_eq "run: no state file" no "$([ -e "$ROOT/run" ] && echo yes || echo no)"
t_done
