# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Case helpers: fio runs that check data, and loads for a device to go under.

# fio_run NAME FIO-ARGS...: a short fio job (io_uring, direct IO, 4k unless
# overridden); fails unless fio succeeds without errors and did IO.  Prints a
# one-line summary.
fio_run() {
	local name=$1 out rc
	local -a f
	local err=0 rbytes=0 wbytes=0 riops=0 wiops=0
	shift
	out=$WORK/.fio-$name.terse
	# terse output, a line per job, read by bash: jq takes 0.4 s to start
	# in the VM, fio itself 0.8 s
	timeout 120 fio --name="$name" --ioengine=io_uring --direct=1 --bs=4k \
		--output-format=terse --terse-version=3 --output="$out" "$@" >"$WORK/.fio.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$WORK/.fio.log" >&2
		fail "fio $name failed (exit $rc): fio $*"
	fi
	# version 3: 5 error, 6 KiB read, 8 read IOPS, 47 KiB written, 49 write IOPS
	while IFS=';' read -r -a f; do
		[ "${f[0]}" = 3 ] || continue
		err=$((err + f[4])) rbytes=$((rbytes + f[5] * 1024)) wbytes=$((wbytes + f[46] * 1024))
		riops=$((riops + f[7])) wiops=$((wiops + f[48]))
	done <"$out"
	echo "fio $name: read $((rbytes / 1024)) KiB ($riops IOPS), written $((wbytes / 1024)) KiB ($wiops IOPS)"
	[ "$err" = 0 ] || fail "fio $name reported error $err"
	[ $((rbytes + wbytes)) -gt 0 ] || fail "fio $name did no IO"
	# for the caller: bytes fio read and wrote
	# shellcheck disable=SC2034
	FIO_READ_BYTES=$rbytes FIO_WRITE_BYTES=$wbytes
}

# fio_verify NAME DEV SIZE [FIO-ARGS...]: write SIZE bytes of DEV at random
# with crc32c checksums, then read everything back and verify it.
fio_verify() {
	local name=$1 dev=$2 size=$3
	shift 3
	fio_run "$name" --filename="$dev" --rw=randwrite --size="$size" \
		--iodepth=16 --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_backlog=0 "$@"
	[ "$FIO_READ_BYTES" -ge "$(numfmt_bytes "$size")" ] ||
		fail "fio $name verified only $FIO_READ_BYTES bytes of $size"
}

# fio_mixed_verify DEV SIZE_MIB SECONDS: mixed random IO on the first
# SIZE_MIB MiB of DEV for SECONDS: two writers (4k-128k) verify what they
# wrote as they go (crc32c, each on its own half), two readers cross the
# whole range; 64 requests in flight.  Fails on any error or mismatch, and
# if fio does not finish within 3 * SECONDS + 60 s (a lost completion).
fio_mixed_verify() {
	local dev=$1 size=$2 runtime=$3 half=$(($2 / 2)) rc limit=$(($3 * 3 + 60)) verdict
	cat >"$WORK/mixed.fio" <<-JOB
	[global]
	filename=$dev
	ioengine=io_uring
	direct=1
	bsrange=4k-128k
	iodepth=16
	time_based
	runtime=$runtime
	verify_fatal=1
	[verify-0]
	rw=randwrite
	verify=crc32c
	verify_backlog=32
	offset=0
	size=${half}M
	[verify-1]
	rw=randwrite
	verify=crc32c
	verify_backlog=32
	offset=${half}M
	size=${half}M
	[read-0]
	rw=randread
	bs=4k
	size=${size}M
	[read-1]
	rw=randread
	size=${size}M
	JOB
	timeout "$limit" fio "$WORK/mixed.fio" --output-format=json \
		--output="$WORK/mixed.json" >"$WORK/mixed.log" 2>&1
	rc=$?
	[ "$rc" -ne 124 ] || fail "fio did not finish within ${limit}s: a completion was lost"
	if [ "$rc" -ne 0 ]; then
		head -n 20 "$WORK/mixed.log"
		fail "fio (mixed random IO with verify) exited with $rc"
	fi
	# one jq (it takes 0.4 s to start in the VM): a line per job, then the
	# first check that fails, or "ok"
	verdict=$(jq -r --argjson ms $((runtime * 1000)) '
		(.jobs[] | "\(.jobname): error \(.error), read \(.read.io_bytes / 1048576 | floor) MiB, written \(.write.io_bytes / 1048576 | floor) MiB, \(.job_runtime / 1000) s"),
		if any(.jobs[]; .error != 0) then "a fio job reported an error"
		elif any(.jobs[]; .job_runtime < $ms) then "a fio job ran less than \($ms / 1000)s"
		# the writers verify as they go: data was checked during the run
		elif any(.jobs[] | select(.jobname | startswith("verify"));
			.read.io_bytes == 0 or .write.io_bytes == 0)
		then "a verifying fio job did not both write and read back"
		else "ok" end' "$WORK/mixed.json") || fail "cannot read fio's output"
	printf '%s\n' "${verdict%$'\n'*}"
	[ "${verdict##*$'\n'}" = ok ] || fail "${verdict##*$'\n'}"
}

# io_load DEV RW DIRECT: fio --rw=RW (randread, randwrite, randrw, ...) on
# DEV in the background: 4k requests at iodepth 32 in 2 jobs, O_DIRECT if
# DIRECT is 1, for up to 60 s. Returns once 150 of its reads or writes have
# reached DEV. Sets LOAD_PID and LOAD_LOG; end it with load_failed.
io_load() {
	local dev=$1 rw=$2 direct=$3 r0 w0
	read -r r0 w0 < <(disk_ios "$dev")
	LOAD_LOG=$WORK/load.log
	timeout 120 fio --name=load --filename="$dev" --ioengine=io_uring --direct="$direct" \
		--rw="$rw" --bs=4k --size=64M --time_based --runtime=60 --iodepth=32 \
		--numjobs=2 >"$LOAD_LOG" 2>&1 &
	LOAD_PID=$!
	wait_for_io "$dev" $((r0 + 150)) $((w0 + 150)) "$LOAD_PID"
}

# load_failed WHAT: the fio of io_load, whose device went away, must end
# within 10 s and on an IO error (not run out its 60 s); sets LOAD_RC
load_failed() {
	local what=$1
	wait_pid_gone "$LOAD_PID" 10 || fail "$what: fio still runs 10 s after its device went"
	wait "$LOAD_PID"
	LOAD_RC=$?
	[ "$LOAD_RC" -ne 124 ] || fail "$what: fio hung"
	[ "$LOAD_RC" -ne 0 ] ||
		fail "$what: fio ended without an error although its device went: $(tail -n 3 "$LOAD_LOG")"
	grep -q 'func=io_u error' "$LOAD_LOG" ||
		fail "$what: fio ended with status $LOAD_RC, not on an IO error: $(tail -n 3 "$LOAD_LOG")"
}
