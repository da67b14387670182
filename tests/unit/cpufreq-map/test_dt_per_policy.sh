#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: per-policy tables (cpu-to-dev-map-<first cpu>) on a
# big.LITTLE layout; a policy without a table contributes nothing.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"
t_need_dtc

t_dtc map <<'EOF_DTS' || t_done
/dts-v1/;
/ {
	soc {
		ddr: memory-controller@1000 { };
	};
	devfreq-cpufreq-map {
		ddr-map {
			target-dev = <&ddr>;
			cpu-to-dev-map-0 =
				< 500000 200000000 >,
				< 1000000 400000000 >,
				< 1500000 800000000 >;
			cpu-to-dev-map-4 =
				< 800000 400000000 >,
				< 1600000 1066000000 >,
				< 2400000 1600000000 >;
		};
	};
};
EOF_DTS

# LITTLE 0-3, big 4-6, prime 7 (no table of its own).
t_policy 0 "0 1 2 3" 500000 1500000 500000
t_policy 4 "4 5 6" 800000 2400000 800000
t_policy 7 "7" 1000000 3000000 1000000
t_devfreq ddr "userspace simple_ondemand" "200000000 400000000 800000000 1066000000 1600000000" 200000000 1600000000 /soc/memory-controller@1000
DDR=sys/class/devfreq/ddr/userspace/set_freq

# check LITTLE big prime WANT
check() {
	t_cur 0 "$1"
	t_cur 4 "$2"
	t_cur 7 "$3"
	t_cfm --sysfs-root "$ROOT" --dtb "$T_DIR/map.dtb" apply
	t_eq "apply $*: exit" 0 "$T_RC"
	t_file "$DDR" "$4"
}

check 500000 800000 1000000 400000000	# big's first row wins
check 1500000 800000 1000000 800000000	# LITTLE's last row wins
check 500000 1600000 1000000 1066000000
check 500000 1600001 1000000 1600000000	# round up in big's table
check 500000 800000 3000000 400000000	# prime at max: no table, nothing
check 400000 700000 3000000 400000000	# below both first rows
check 2000000 3000000 3000000 1600000000	# above both last rows
t_done
