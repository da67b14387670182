#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: every configuration or sysfs error gives one line naming the
# file (and line, property or attribute), exit status 1, and the daemon
# changes no device; usage errors exit 2.
# shellcheck source=tests/unit/cpufreq-map/lib.sh
. "$(dirname "$0")/lib.sh"

t_policy 0 "0 1 2 3" 300000 1800000 300000
t_policy 4 "4 5 6 7" 300000 2400000 300000
t_devfreq cpubw "simple_ondemand userspace" - 100000000 800000000 /soc/bus@1000
t_devfreq ddr "simple_ondemand performance" - 200000000 800000000 /soc/ddr@2000
DEVFREQ=$ROOT/sys/class/devfreq
POLICY=$ROOT/sys/devices/system/cpu/cpufreq

# expect WHAT WANT_STDERR ARGS...: "run" fails with exit 1 and this one
# line, leaving every file of the tree as it was.
expect() {
	local what=$1 want=$2 before
	shift 2
	before=$(t_snapshot)
	t_cfm --sysfs-root "$ROOT" "$@" run
	t_eq "$what: exit" 1 "$T_RC"
	t_eq "$what: stderr" "$want" "$T_ERR"
	t_eq "$what: tree unchanged" "$before" "$(t_snapshot)"
}

# dt NAME < node body: a .dtb whose map has one child "m" with that body.
dt() {
	{
		printf '/dts-v1/;\n/ {\n'
		printf '\tsoc { bus: bus@1000 { }; ddr: ddr@2000 { }; gpu: gpu@3000 { }; };\n'
		printf '\tdevfreq-cpufreq-map {\n\t\tm {\n'
		cat
		printf '\t\t};\n\t};\n};\n'
	} | t_dtc "$1"
}

if command -v dtc >/dev/null; then
	M=/devfreq-cpufreq-map/m
	dt odd <<<'target-dev = <&bus>; cpu-to-dev-map = <300000 1144000 422400>;'
	expect "odd cells" "cpufreq-map: $T_DIR/odd.dtb: $M: cpu-to-dev-map: odd number of cells (3)" --dtb "$T_DIR/odd.dtb"
	dt empty <<<'target-dev = <&bus>; cpu-to-dev-map;'
	expect "empty table" "cpufreq-map: $T_DIR/empty.dtb: $M: cpu-to-dev-map: empty table" --dtb "$T_DIR/empty.dtb"
	dt bytes <<<'target-dev = <&bus>; cpu-to-dev-map = [00 01 02];'
	expect "partial cell" "cpufreq-map: $T_DIR/bytes.dtb: $M: cpu-to-dev-map: length 3 is not a whole number of cells" --dtb "$T_DIR/bytes.dtb"
	dt order <<<'target-dev = <&bus>; cpu-to-dev-map = <422400 2>, <300000 1>;'
	expect "not ascending" "cpufreq-map: $T_DIR/order.dtb: $M: cpu-to-dev-map: row 2: CPU frequencies not ascending (300000 after 422400)" --dtb "$T_DIR/order.dtb"
	dt same <<<'target-dev = <&bus>; cpu-to-dev-map = <300000 1>, <300000 2>;'
	expect "repeated row" "cpufreq-map: $T_DIR/same.dtb: $M: cpu-to-dev-map: row 2: CPU frequencies not ascending (300000 after 300000)" --dtb "$T_DIR/same.dtb"
	dt zcpu <<<'target-dev = <&bus>; cpu-to-dev-map = <0 1>;'
	expect "zero CPU frequency" "cpufreq-map: $T_DIR/zcpu.dtb: $M: cpu-to-dev-map: row 1: zero frequency" --dtb "$T_DIR/zcpu.dtb"
	dt zdev <<<'target-dev = <&bus>; cpu-to-dev-map-4 = <300000 1>, <400000 0>;'
	expect "zero device frequency" "cpufreq-map: $T_DIR/zdev.dtb: $M: cpu-to-dev-map-4: row 2: zero frequency" --dtb "$T_DIR/zdev.dtb"
	dt cpux <<<'target-dev = <&bus>; cpu-to-dev-map-x = <300000 1>;'
	expect "bad CPU suffix" "cpufreq-map: $T_DIR/cpux.dtb: $M: cpu-to-dev-map-x: bad CPU number" --dtb "$T_DIR/cpux.dtb"
	dt none <<<'target-dev = <&bus>;'
	expect "no table" "cpufreq-map: $T_DIR/none.dtb: $M: neither cpu-to-dev-map nor cpu-to-dev-map-<cpu>" --dtb "$T_DIR/none.dtb"
	dt notarget <<<'cpu-to-dev-map = <300000 1>;'
	expect "no target-dev" "cpufreq-map: $T_DIR/notarget.dtb: $M: missing target-dev" --dtb "$T_DIR/notarget.dtb"
	dt badref <<<'target-dev = <0x99>; cpu-to-dev-map = <300000 1>;'
	expect "dangling phandle" "cpufreq-map: $T_DIR/badref.dtb: $M: target-dev: phandle 0x99 matches no node" --dtb "$T_DIR/badref.dtb"
	dt twocells <<<'target-dev = <&bus 0>; cpu-to-dev-map = <300000 1>;'
	expect "target-dev size" "cpufreq-map: $T_DIR/twocells.dtb: $M: target-dev: expected one phandle, got 8 bytes" --dtb "$T_DIR/twocells.dtb"
	dt nodev <<<'target-dev = <&gpu>; cpu-to-dev-map = <300000 1>;'
	expect "no devfreq device" "cpufreq-map: $T_DIR/nodev.dtb: $M: target-dev /soc/gpu@3000 matches no devfreq device under $ROOT/sys/class/devfreq" --dtb "$T_DIR/nodev.dtb"
	t_dtc nomap <<<'/dts-v1/; / { soc { }; };'
	expect "no map node" "cpufreq-map: $T_DIR/nomap.dtb: no devfreq-cpufreq-map node" --dtb "$T_DIR/nomap.dtb"
	t_dtc nochild <<<'/dts-v1/; / { devfreq-cpufreq-map { }; };'
	expect "no map child" "cpufreq-map: $T_DIR/nochild.dtb: devfreq-cpufreq-map has no device nodes" --dtb "$T_DIR/nochild.dtb"
	t_dtc twice <<<'/dts-v1/; / { bus: bus@1000 { }; devfreq-cpufreq-map { a { target-dev = <&bus>; cpu-to-dev-map = <1 1>; }; b { target-dev = <&bus>; cpu-to-dev-map = <1 1>; }; }; };'
	expect "same node twice" "cpufreq-map: $T_DIR/twice.dtb: /devfreq-cpufreq-map/b: node /bus@1000 already mapped at $T_DIR/twice.dtb: /devfreq-cpufreq-map/a" --dtb "$T_DIR/twice.dtb"
else
	echo "note: dtc not found, the device tree cases did not run"
fi

printf 'not a device tree, but long enough to hold a header\n' >"$T_DIR/text.dtb"
expect "not a dtb" "cpufreq-map: $T_DIR/text.dtb: not a valid flattened device tree (FDT_ERR_BADMAGIC)" --dtb "$T_DIR/text.dtb"
printf 'short' >"$T_DIR/short.dtb"
expect "short dtb" "cpufreq-map: $T_DIR/short.dtb: not a flattened device tree (too short)" --dtb "$T_DIR/short.dtb"
expect "missing dtb" "cpufreq-map: $T_DIR/missing.dtb: No such file or directory" --dtb "$T_DIR/missing.dtb"
expect "no live tree" "cpufreq-map: $ROOT/proc/device-tree: No such file or directory"

# The text configuration.
expect "missing config" "cpufreq-map: $T_DIR/missing.conf: No such file or directory" --config "$T_DIR/missing.conf"
expect "config is a directory" "cpufreq-map: $T_DIR: Is a directory" --config "$T_DIR"
if [ "$(id -u)" != 0 ]; then
	printf 'device cpubw\n' >"$T_DIR/secret.conf"
	chmod 000 "$T_DIR/secret.conf"
	expect "unreadable config" "cpufreq-map: $T_DIR/secret.conf: Permission denied" --config "$T_DIR/secret.conf"
fi
printf 'device cpubw\ntable\n300000 x\n' >"$T_DIR/bad.conf"
expect "malformed config" "cpufreq-map: $T_DIR/bad.conf:3: not a number: 'x'" --config "$T_DIR/bad.conf"
printf 'device cpubw\ndevice gpu\n' >"$T_DIR/gpu.conf"
expect "unknown device" "cpufreq-map: $T_DIR/gpu.conf:2: devfreq device 'gpu' not found under $ROOT/sys/class/devfreq" --config "$T_DIR/gpu.conf"

# sysfs content. Each case breaks one file and mends it after.
printf 'device cpubw\ndevice ddr\n' >"$T_DIR/ok.conf"
OK=(--config "$T_DIR/ok.conf")
mv "$POLICY/policy4/cpuinfo_min_freq" "$T_DIR/saved"
expect "policy without cpuinfo_min_freq" "cpufreq-map: $POLICY/policy4/cpuinfo_min_freq: No such file or directory" "${OK[@]}"
mv "$T_DIR/saved" "$POLICY/policy4/cpuinfo_min_freq"
rm "$POLICY/policy0/related_cpus"
expect "policy without related_cpus" "cpufreq-map: $POLICY/policy0/related_cpus: No such file or directory" "${OK[@]}"
t_policy 0 "0 1 2 3" 300000 1800000 300000
t_cur 4 abc
expect "non-numeric scaling_cur_freq" "cpufreq-map: $POLICY/policy4/scaling_cur_freq: not a number: 'abc'" "${OK[@]}"
t_cur 4 300000
t_put sys/class/devfreq/ddr/max_freq max
expect "non-numeric max_freq" "cpufreq-map: $DEVFREQ/ddr/max_freq: not a number: 'max'" "${OK[@]}"
t_put sys/class/devfreq/ddr/max_freq 800000000
chmod 444 "$DEVFREQ/ddr/min_freq"
expect "no way to drive" "cpufreq-map: $DEVFREQ/ddr: no userspace governor and min_freq is not writable" "${OK[@]}"
chmod 644 "$DEVFREQ/ddr/min_freq"
rm -r "${POLICY:?}"/policy*
expect "no policy" "cpufreq-map: $POLICY: no cpufreq policy" "${OK[@]}"
t_policy 0 "0 1 2 3" 300000 1800000 300000

# Usage errors: exit 2.
t_cfm frob
t_eq "unknown command: exit" 2 "$T_RC"
t_eq "unknown command: stderr" "cpufreq-map: unknown command 'frob'
Try 'cpufreq-map --help'." "$T_ERR"
t_cfm
t_eq "no command: exit" 2 "$T_RC"
t_eq "no command: stderr" "cpufreq-map: no command given
Try 'cpufreq-map --help'." "$T_ERR"
t_cfm --interval 0 run
t_eq "bad interval: exit" 2 "$T_RC"
t_eq "bad interval: stderr" "cpufreq-map: --interval: expected milliseconds from 1 to 3600000, got '0'" "$(echo "$T_ERR" | head -1)"
t_cfm --hold-down 5x run
t_eq "bad hold-down: exit" 2 "$T_RC"
t_cfm --bogus run
t_eq "unknown option: exit" 2 "$T_RC"

# Sanity: the same tree and configuration are fine once mended.
t_cfm --sysfs-root "$ROOT" "${OK[@]}" apply
t_eq "mended: exit" 0 "$T_RC"
t_eq "mended: stderr" "" "$T_ERR"
t_done
