#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: devices the text configuration names without a table are
# interpolated, over available_frequencies or, without them, over
# min_freq..max_freq; integer percent, truncated; cpu_min == cpu_max.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T_DIR/cfm.conf" <<'EOF_CONF'
# No table: interpolation.
device bus
device npu
EOF_CONF

t_policy 0 "0 1 2 3" 300000 1800000 300000
t_devfreq bus "userspace" "400000000 100000000 900000000" 100000000 900000000
t_devfreq npu "performance userspace" - 200000000 1000000000

# check KHZ BUS_HZ NPU_HZ
check() {
	t_cur 0 "$1"
	t_cfm --sysfs-root "$ROOT" --config "$T_DIR/cfm.conf" apply
	t_eq "apply $1: exit" 0 "$T_RC"
	t_file sys/class/devfreq/bus/userspace/set_freq "$2"
	t_file sys/class/devfreq/npu/userspace/set_freq "$3"
}

check 300000 100000000 200000000	# 0%
check 1000000 468000000 568000000	# 700000/1500000 = 46.6% -> 46%
check 1050000 500000000 600000000	# 50%
check 1799999 892000000 992000000	# 99.9% -> 99%
check 1800000 900000000 1000000000	# 100%
check 200000 100000000 200000000	# below cpuinfo_min_freq: 0%

# A policy with one frequency (cpu_min == cpu_max) runs at its top: 100%.
t_policy 4 "4 5" 2000000 2000000 2000000
check 300000 900000000 1000000000
t_done
