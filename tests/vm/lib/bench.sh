# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers of the benchmarks (bench/ublk/*.sh).

# bench_init: what every bench script shares: RUNTIME, the length of each
# fio run (BENCH_RUNTIME seconds, default 6, at most 10), and 2 CPUs
bench_init() {
	RUNTIME=${BENCH_RUNTIME:-6}
	[ "$RUNTIME" -le 10 ] || RUNTIME=10
	[ "$(nproc)" -ge 2 ] || skip "the bench needs 2 CPUs, the VM has $(nproc)"
}

# bench_fio DEV RW QD [FIO OPTION...]: one time-based fio run of 4k RW
# (randread or randwrite) at iodepth QD; prints "IOPS MEAN_LATENCY_US"
bench_fio() {
	local dev=$1 rw=$2 qd=$3 dir=${2#rand}
	shift 3
	timeout $((RUNTIME + 60)) fio --name=bench --filename="$dev" \
		--ioengine=io_uring --direct=1 --bs=4k --rw="$rw" --iodepth="$qd" \
		--time_based --runtime="$RUNTIME" --ramp_time=1 --norandommap \
		--randrepeat=0 "$@" --output-format=json \
		--output="$WORK/fio.json" >"$WORK/fio.log" 2>&1 ||
		{ cat "$WORK/fio.log"; fail "fio $rw QD$qd on $dev failed"; }
	jq -r --arg d "$dir" '.jobs[0] |
		if .error != 0 then "error" else
		"\(.[$d].iops | floor) \(.[$d].lat_ns.mean / 1000)" end' \
		"$WORK/fio.json" || fail "cannot read fio's output"
}

# bench_ratio NEW OLD: NEW/OLD as "1.23x", "-" without OLD
bench_ratio() {
	awk -v n="$1" -v o="$2" 'BEGIN { if (o > 0) printf "%.2fx", n / o; else print "-" }'
}

# bench_median N...: the median of the numbers (of the middle two if even)
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2 }'
}

# bench_range N...: "LOWEST-HIGHEST"
bench_range() {
	printf '%s\n' "$@" | sort -g | sed -n '1h; $ { H; x; s/\n/-/; p }'
}

# bench_target LABEL NEW OLD MIN: "target LABEL: 1.23x (>= MINx: met)", or "not met"
bench_target() {
	local r met=met
	r=$(bench_ratio "$2" "$3")
	awk -v r="${r%x}" -v m="$4" 'BEGIN { exit !(r >= m) }' || met="not met"
	echo "target $1: $r (>= ${4}x: $met)"
}

# bench_progress MSG: progress to the VM's console; the output is the table
bench_progress() {
	if [ -w /dev/console ]; then
		echo "bench: $*" >/dev/console
	else
		echo "bench: $*" >&2
	fi
}
