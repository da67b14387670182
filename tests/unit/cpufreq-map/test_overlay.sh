#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the binding from an overlay (.dtbo): target-dev refers to a
# label of the base tree, left unresolved in __fixups__ and resolved
# through the live tree's __symbols__.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"
t_need_dtc

t_dtc overlay -@ <<'EOF_DTS' || t_done
/dts-v1/;
/plugin/;
&{/} {
	devfreq-cpufreq-map {
		cache-map {
			target-dev = <&cache>;
			cpu-to-dev-map = < 300000 300000000 >, < 1800000 1200000000 >;
		};
	};
};
EOF_DTS

DT=$ROOT/proc/device-tree
mkdir -p "$DT/__symbols__"
printf '/soc/cache@2000\0' >"$DT/__symbols__/cache"
t_policy 0 "0 1" 300000 1800000 1000000
t_devfreq l3 "userspace" - 300000000 1200000000 /soc/cache@2000

t_cfm --sysfs-root "$ROOT" --dtb "$T_DIR/overlay.dtb" show
t_eq "show: exit" 0 "$T_RC"
t_eq "show: stderr" "" "$T_ERR"
t_eq "show" "device /soc/cache@2000
Common table for all CPUs:
CPU freq	Device freq
  300000	  300000000
 1800000	 1200000000" "$T_OUT"

t_cfm --sysfs-root "$ROOT" --dtb "$T_DIR/overlay.dtb" apply
t_eq "apply: exit" 0 "$T_RC"
t_file sys/class/devfreq/l3/userspace/set_freq 1200000000

# The live tree is found through --device-tree as well.
mv "$DT" "$T_DIR/dt"
t_policy 0 "0 1" 300000 1800000 300000
t_cfm --sysfs-root "$ROOT" --device-tree "$T_DIR/dt" --dtb "$T_DIR/overlay.dtb" apply
t_eq "apply --device-tree: exit" 0 "$T_RC"
t_file sys/class/devfreq/l3/userspace/set_freq 300000000

# Without the label, a clear error naming the overlay node.
before=$(t_snapshot)
t_cfm --sysfs-root "$ROOT" --dtb "$T_DIR/overlay.dtb" run
t_eq "unresolved: exit" 1 "$T_RC"
t_eq "unresolved: stderr" "cpufreq-map: $T_DIR/overlay.dtb: /fragment@0/__overlay__/devfreq-cpufreq-map/cache-map: target-dev: label 'cache' is in no __symbols__" "$T_ERR"
t_eq "unresolved: tree unchanged" "$before" "$(t_snapshot)"
t_done
