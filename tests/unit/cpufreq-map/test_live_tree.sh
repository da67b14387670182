#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the binding from a live tree directory (/proc/device-tree
# layout: big-endian property files, phandles in "phandle" files), found by
# default under the sysfs root; the same tree through dtc -I fs gives the
# same decisions through the .dtb loader.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"

# prop NODE NAME U32...: a property of big-endian cells.
prop() {
	local node=$1 name=$2 v fmt=
	shift 2
	for v; do
		fmt+=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((v >> 24 & 255)) \
			$((v >> 16 & 255)) $((v >> 8 & 255)) $((v & 255)))
	done
	mkdir -p "$DT$node"
	# shellcheck disable=SC2059 # the format is the bytes
	printf "$fmt" >"$DT$node/$name"
}

DT=$ROOT/proc/device-tree
prop /soc/cache@2000 phandle 1
printf 'test,cache\0' >"$DT/soc/cache@2000/compatible"
prop /soc/bus@1000 phandle 2
prop /soc/unrelated@0 phandle 3
prop /devfreq-cpufreq-map/cache-map target-dev 1
prop /devfreq-cpufreq-map/cache-map cpu-to-dev-map \
	300000 300000000 1000000 600000000 1800000 1200000000
prop /devfreq-cpufreq-map/bus-map target-dev 2
prop /devfreq-cpufreq-map/bus-map cpu-to-dev-map-0 500000 100000000 1500000 200000000
prop /devfreq-cpufreq-map/bus-map cpu-to-dev-map-4 800000 150000000 2400000 400000000
# Older kernels add a "name" property to every node: not a table.
printf 'bus-map\0' >"$DT/devfreq-cpufreq-map/bus-map/name"

t_policy 0 "0 1 2 3" 500000 1500000 500000
t_policy 4 "4 5 6 7" 800000 2400000 800000
t_devfreq cache "userspace" - 300000000 1200000000 /soc/cache@2000
t_devfreq bus "userspace" - 100000000 400000000 /soc/bus@1000

printf '%s\n' \
	'device /soc/bus@1000' \
	'CPU 0:' \
	'CPU freq	Device freq' \
	'  500000	  100000000' \
	' 1500000	  200000000' \
	'' \
	'CPU 4:' \
	'CPU freq	Device freq' \
	'  800000	  150000000' \
	' 2400000	  400000000' \
	'' \
	'device /soc/cache@2000' \
	'Common table for all CPUs:' \
	'CPU freq	Device freq' \
	'  300000	  300000000' \
	' 1000000	  600000000' \
	' 1800000	 1200000000' \
	'' >"$T_DIR/want"
"$CFM" --sysfs-root "$ROOT" show >"$T_DIR/got" 2>"$T_DIR/err"
t_eq "show: exit" 0 $?
t_eq "show: stderr" "" "$(cat "$T_DIR/err")"
cmp -s "$T_DIR/want" "$T_DIR/got" ||
	t_fail "show differs: $(diff -u "$T_DIR/want" "$T_DIR/got")"

# check LOADER_ARGS... -- P0 P4 CACHE BUS
check() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	t_cur 0 "$1"
	t_cur 4 "$2"
	t_cfm --sysfs-root "$ROOT" "${args[@]}" apply
	t_eq "apply ${args[*]} $1 $2: exit" 0 "$T_RC"
	t_eq "apply ${args[*]} $1 $2: stderr" "" "$T_ERR"
	t_file sys/class/devfreq/cache/userspace/set_freq "$3"
	t_file sys/class/devfreq/bus/userspace/set_freq "$4"
}

check -- 500000 800000 600000000 150000000
check -- 1000000 800000 600000000 200000000
check --device-tree "$DT" -- 500000 1000000 600000000 400000000
check -- 500000 2400000 1200000000 400000000

if command -v dtc >/dev/null; then
	dtc -q -I fs -O dtb -o "$T_DIR/fs.dtb" "$DT" || t_fail "dtc -I fs failed"
	for p in "500000 800000 600000000 150000000" \
		"1500000 2400000 1200000000 400000000" \
		"1200000 900000 1200000000 400000000"; do
		# shellcheck disable=SC2086 # four numbers
		check --dtb "$T_DIR/fs.dtb" -- $p
	done
else
	echo "note: dtc not found, the dtc -I fs cross-check did not run"
fi
t_done
