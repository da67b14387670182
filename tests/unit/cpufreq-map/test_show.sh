#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: show prints each device's table in the kernel governor's
# freq_map format ("%8u\t%11u" rows), byte for byte, from a text
# configuration and from a .dtb; it needs no sysfs.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T_DIR/cfm.conf" <<'EOF_CONF'
device l3
  table
    300000 300000000
    1800000 1200000000
device ddr
  table cpu 4
    800000 400000000
    2400000 1600000000
  table cpu 0
    500000 200000000
device bus
EOF_CONF

printf '%s\n' \
	'device l3' \
	'Common table for all CPUs:' \
	'CPU freq	Device freq' \
	'  300000	  300000000' \
	' 1800000	 1200000000' \
	'' \
	'device ddr' \
	'CPU 0:' \
	'CPU freq	Device freq' \
	'  500000	  200000000' \
	'' \
	'CPU 4:' \
	'CPU freq	Device freq' \
	'  800000	  400000000' \
	' 2400000	 1600000000' \
	'' \
	'device bus' \
	'Device freq interpolated based on CPU freq' >"$T_DIR/want"

"$CFM" --config "$T_DIR/cfm.conf" show >"$T_DIR/got" 2>"$T_DIR/err"
t_eq "show (config): exit" 0 $?
t_eq "show (config): stderr" "" "$(cat "$T_DIR/err")"
cmp -s "$T_DIR/want" "$T_DIR/got" ||
	t_fail "show (config) differs: $(diff -u "$T_DIR/want" "$T_DIR/got")"

if command -v dtc >/dev/null; then
	t_dtc map <<'EOF_DTS'
/dts-v1/;
/ {
	cpubw: cpubw { };
	devfreq-cpufreq-map {
		cpubw-cpufreq {
			target-dev = <&cpubw>;
			cpu-to-dev-map-4 = < 2649600 4294967295 >;
			cpu-to-dev-map-0 = < 300000 1144000 >, < 12345678 1 >;
		};
	};
};
EOF_DTS
	printf '%s\n' \
		'device /cpubw' \
		'CPU 0:' \
		'CPU freq	Device freq' \
		'  300000	    1144000' \
		'12345678	          1' \
		'' \
		'CPU 4:' \
		'CPU freq	Device freq' \
		' 2649600	 4294967295' \
		'' >"$T_DIR/want"
	"$CFM" --dtb "$T_DIR/map.dtb" show >"$T_DIR/got" 2>"$T_DIR/err"
	t_eq "show (dtb): exit" 0 $?
	t_eq "show (dtb): stderr" "" "$(cat "$T_DIR/err")"
	cmp -s "$T_DIR/want" "$T_DIR/got" ||
		t_fail "show (dtb) differs: $(diff -u "$T_DIR/want" "$T_DIR/got")"
else
	echo "note: dtc not found, the .dtb half of this test did not run"
fi
t_done
