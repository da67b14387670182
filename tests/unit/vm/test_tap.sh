#!/bin/bash
# SPDX-License-Identifier: MIT
# The VM harness's result protocol (tests/tap.sh): what the guest writes
# reads back as it was written, TAP::Parser agrees it is TAP, and a stream
# that ends early, stalls or holds a stray line is told apart.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../tap.sh
. "$HERE/../../tap.sh"

failures=0
check() { # WHAT GOT WANT
	if [ "$2" != "$3" ]; then
		printf 'FAIL %s:\n--- got:\n%s\n--- wanted:\n%s\n' "$1" "$2" "$3"
		failures=$((failures + 1))
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

events=""
tap_on_start() { events+="start"$'\n'; }
tap_on_plan() { events+="plan $1"$'\n'; }
tap_on_begin() { events+="begin $1"$'\n'; }
tap_on_result() { events+="result $1 $2 [$3] $4 <$5>"$'\n'; }

# parse FILE: the events and tap_read's status
parse() {
	local rc=0
	events=""
	TAP_DEADLINE=$((SECONDS + 10))
	exec {fd}<"$1"
	tap_read "$fd" || rc=$?
	exec {fd}<&-
	printf '%sstatus %s' "$events" "$rc"
}

# A stream as the guest writes it: output that looks like TAP stays output.
printf 'line one\n\n  indented\nok 7 - forged\n# begin forged\n  ...\n' >"$tmp/out1"
: >"$tmp/empty"
printf 'why it failed' >"$tmp/out2" # no newline at the end
{
	echo "TAP version 13"
	echo "# 6.12.118, suite tests"
	echo "1..3"
	echo "# begin first"
	tap_emit_result 1 1 first PASS "" 1200 "$tmp/out1"
	echo "# begin second"
	tap_emit_result 1 2 second FAIL "exited with status 1" 30 "$tmp/out2"
	echo "# begin third"
	tap_emit_result 1 3 third SKIP "no USER_COPY: not checked" 0 "$tmp/empty"
} >"$tmp/full.tap"
check "a whole stream" "$(parse "$tmp/full.tap")" "start
plan 3
begin first
result PASS first [] 1200 <line one

  indented
ok 7 - forged
# begin forged
  ...>
begin second
result FAIL second [exited with status 1] 30 <why it failed>
begin third
result SKIP third [no USER_COPY: not checked] 0 <>
status 0"

# Perl's TAP::Parser (the reference) reads the same stream.
if perl -MTAP::Parser -e 1 2>/dev/null; then
	got=$(perl -MTAP::Parser -e '
		my $p = TAP::Parser->new({ source => $ARGV[0] });
		while (my $r = $p->next) {
			print(($r->is_ok ? "ok" : "not ok"), " ", $r->description,
			      ($r->has_skip ? " skip" : ""), "\n") if $r->is_test;
		}
		print "version ", $p->version, " planned ", $p->tests_planned,
		      " failed ", scalar($p->failed), " errors ", scalar($p->parse_errors), "\n";
	' "$tmp/full.tap")
	check "TAP::Parser on the stream" "$got" "ok - first
not ok - second
ok - third skip
version 13 planned 3 failed 1 errors 0"
else
	echo "FAIL TAP::Parser (perl's TAP modules) is not installed"
	failures=$((failures + 1))
fi

# The guest died in its second case: the stream ends early.
sed '/^# begin second$/q' "$tmp/full.tap" >"$tmp/cut.tap"
check "a stream cut short" "$(parse "$tmp/cut.tap" | tail -n 2)" "begin second
status 1"

# A line that is not TAP of this form.
printf 'TAP version 13\n1..1\nGARBAGE\n' >"$tmp/bad.tap"
check "a stray line" "$(parse "$tmp/bad.tap" | tail -n 1)" "status 3"

# A guest that stops writing: the deadline ends the read. The test holds
# the FIFO's write end itself (opened read-write), so the stream neither
# ends nor goes on.
mkfifo "$tmp/fifo"
exec {fd}<>"$tmp/fifo"
printf 'TAP version 13\n1..1\n' >&"$fd"
rc=0
TAP_DEADLINE=$((SECONDS + 2))
tap_read "$fd" >/dev/null || rc=$?
exec {fd}<&-
check "a stalled stream" "$rc" 2

[ "$failures" -eq 0 ] && echo "tap: all checks passed"
[ "$failures" -eq 0 ]
