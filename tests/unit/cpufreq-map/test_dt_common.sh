#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: one common table per device from a .dtb (the binding's own
# example), two devices, CPU frequencies below, equal to, between and above
# the rows, and the maximum over policies.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"
t_need_dtc

t_dtc map <<'EOF_DTS' || t_done
/dts-v1/;
/ {
	soc {
		cpubw: bus@1000 { compatible = "test,cpubw"; };
		cache: cache@2000 { compatible = "test,cache"; };
		gpu: gpu@3000 { compatible = "test,gpu"; };
	};
	devfreq-cpufreq-map {
		cpubw-cpufreq {
			target-dev = <&cpubw>;
			cpu-to-dev-map =
				< 300000 1144000 >,
				< 422400 2288000 >,
				< 652800 3051000 >,
				< 883200 5996000 >,
				< 1190400 8056000 >,
				< 1497600 10101000 >,
				< 1728000 12145000 >,
				< 2649600 16250000 >;
		};
		cache-cpufreq {
			target-dev = <&cache>;
			cpu-to-dev-map =
				< 300000 300000 >,
				< 422400 422400 >,
				< 652800 499200 >,
				< 883200 576000 >,
				< 960000 960000 >,
				< 1497600 1036800 >,
				< 1574400 1574400 >,
				< 1728000 1651200 >,
				< 2649600 1728000 >;
		};
	};
};
EOF_DTS

t_policy 0 "0 1 2 3" 300000 1728000 300000
t_policy 4 "4 5 6 7" 300000 2649600 300000
t_devfreq cpubw "simple_ondemand userspace" "1144000 16250000" 1144000 16250000 /soc/bus@1000
t_devfreq l3-cache "userspace performance" - 300000 1728000 /soc/cache@2000
# Not in the map: must be left alone.
t_devfreq gpu "userspace" - 1 2 /soc/gpu@3000
t_devfreq nodeless "userspace" - 1 2

CPUBW=sys/class/devfreq/cpubw/userspace/set_freq
CACHE=sys/class/devfreq/l3-cache/userspace/set_freq

# check P0_KHZ P4_KHZ CPUBW_HZ CACHE_HZ
check() {
	t_cur 0 "$1"
	t_cur 4 "$2"
	t_cfm --sysfs-root "$ROOT" --dtb "$T_DIR/map.dtb" apply
	t_eq "apply $1 $2: exit" 0 "$T_RC"
	t_eq "apply $1 $2: stderr" "" "$T_ERR"
	t_file "$CPUBW" "$3"
	t_file "$CACHE" "$4"
}

check 300000 300000 1144000 300000	# equal to the first row
check 100000 200000 1144000 300000	# below the first row
check 300001 300000 2288000 422400	# just above a row: round up
check 500000 300000 3051000 499200	# between rows
check 883200 300000 5996000 576000	# equal to a middle row
check 1728000 300000 12145000 1651200
check 3000000 300000 16250000 1728000	# above the last row: clamp
check 300000 1190400 8056000 1036800	# policy 4 is the maximum
check 960000 652800 8056000 960000	# rounds up to 1190400 and 960000

t_file sys/class/devfreq/cpubw/governor userspace
t_file sys/class/devfreq/l3-cache/governor userspace
t_file sys/class/devfreq/gpu/governor simple_ondemand
t_file sys/class/devfreq/gpu/userspace/set_freq undefined
t_file sys/class/devfreq/nodeless/governor simple_ondemand
t_done
