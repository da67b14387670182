#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: api_names.sh, on a copy of the project's version scripts,
# headers and manual pages, passes on the copy as it is and fails, naming
# the function and where it is missing, on each kind of difference: a name
# left out of a version script, of a header or of man/, and a .so page
# that points at a page not listing its name. Declarations that are no
# exported function (static inline, typedef, struct member) do not count.
#
# Usage: api_names_selftest.sh [SRCDIR]
set -u

SRC=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
CHECK=$SRC/tests/unit/api_names.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/api-names.XXXXXX")
trap 'rm -rf "$T"' EXIT
FAILS=0

UMAP=lib/ublk/libublk.map
UHDR=include/ublk/ublk.h
CMAP=lib/cpufreq-map/libcpufreqmap.map
CHDR=include/cpufreq-map/cpufreq-map.h

fresh() {
	rm -rf "$T/src"
	mkdir -p "$T/src/lib/ublk" "$T/src/lib/cpufreq-map" \
		"$T/src/include/ublk" "$T/src/include/cpufreq-map" "$T/src/man"
	for f in $UMAP $UHDR $CMAP $CHDR; do
		cp "$SRC/$f" "$T/src/$f"
	done
	cp "$SRC"/man/*.3 "$T/src/man/"
}

# expect WHAT STATUS [LINE...]: the checker on the copy exits with STATUS
# and prints each LINE.
expect() {
	local what=$1 want=$2 line
	shift 2
	"$CHECK" "$T/src" >"$T/out" 2>&1
	local rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL $what: exit $rc, want $want; output:" >&2
		cat "$T/out" >&2
		FAILS=$((FAILS + 1))
	fi
	for line; do
		if ! grep -qxF -- "$line" "$T/out"; then
			echo "FAIL $what: no line '$line' in:" >&2
			cat "$T/out" >&2
			FAILS=$((FAILS + 1))
		fi
	done
}

# drop_decl FILE NAME: delete the declaration of NAME, however many lines.
drop_decl() {
	awk -v name="$2" '
		!skip && index($0, name "(") { skip = 1 }
		skip { if (index($0, ";")) skip = 0; next }
		{ print }
	' "$1" >"$1.new" && mv "$1.new" "$1"
}

fresh
expect "unchanged copy" 0 \
	"libublk: $(grep -c '^		ublk_' "$SRC/$UMAP") functions, the same in $UMAP, $UHDR and man/"

fresh
sed -i '/^[[:space:]]*cfm_version;/d' "$T/src/$CMAP"
expect "name left out of the version script" 1 \
	"libcpufreqmap: cfm_version: missing from $CMAP"

fresh
drop_decl "$T/src/$UHDR" ublk_ctrl_list
expect "declaration left out of the header" 1 \
	"libublk: ublk_ctrl_list: missing from $UHDR"

fresh
rm "$T/src/man/cfm_gov_close.3"
expect "page left out" 1 \
	"libcpufreqmap: cfm_gov_close: missing from man/cfm_gov_close.3"

fresh
echo '.so man3/ublk_queue_id.3' >"$T/src/man/ublk_dev_close.3"
expect ".so page to a page that does not list the name" 1 \
	"libublk: man/ublk_dev_close.3: NAME section of man/ublk_queue_id.3 does not list ublk_dev_close" \
	"libublk: ublk_dev_close: missing from man/ublk_dev_close.3"

fresh
echo '.so man3/cfm_nothing.3' >"$T/src/man/cfm_gov_close.3"
expect ".so page to no page" 1 \
	"libcpufreqmap: man/cfm_gov_close.3: .so names a page that does not exist: .so man3/cfm_nothing.3" \
	"libcpufreqmap: cfm_gov_close: missing from man/cfm_gov_close.3"

fresh
cp "$T/src/man/cfm_version.3" "$T/src/man/cfm_extra.3"
expect "page for no function" 1 \
	"libcpufreqmap: man/cfm_extra.3: NAME section of man/cfm_extra.3 does not list cfm_extra"

# Only exported functions count: a static inline function, a typedef of a
# function pointer, a struct's function pointer, a macro and a comment do
# not; a declaration with attributes, over several lines, does.
fresh
awk '/^#ifdef __cplusplus/ && ++n == 2 {
	print "static inline int cfm_helper(int x) { return x; }"
	print "typedef int (*cfm_hook)(void *arg);"
	print "struct cfm_ops { int (*cfm_op)(void); };"
	print "#define CFM_CALL(x) cfm_call(x)"
	print "/* int cfm_commented(void); */"
	print "__attribute__((deprecated(\"use (other)\")))"
	print "int"
	print "cfm_extra(const char *s,"
	print "          int n) __attribute__((nonnull(1)));"
}
{ print }' "$T/src/$CHDR" >"$T/hdr" && mv "$T/hdr" "$T/src/$CHDR"
expect "declarations that are no exported function" 1 \
	"libcpufreqmap: cfm_extra: missing from $CMAP man/cfm_extra.3"
if grep -qE 'cfm_(helper|hook|op|ops|call|commented|deprecated|nonnull)[:(]' "$T/out"; then
	echo "FAIL a declaration that is no exported function was taken for one:" >&2
	cat "$T/out" >&2
	FAILS=$((FAILS + 1))
fi
if [ "$(grep -c ': missing from' "$T/out")" != 1 ]; then
	echo "FAIL more than cfm_extra reported:" >&2
	cat "$T/out" >&2
	FAILS=$((FAILS + 1))
fi

if [ "$FAILS" != 0 ]; then
	echo "FAIL api_names_selftest: $FAILS check(s) failed"
	exit 1
fi
echo "PASS api_names_selftest"
