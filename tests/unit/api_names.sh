#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: for each library, the version script, the function
# declarations of the public header and the manual pages (man/<name>.3,
# whose NAME section lists <name>, directly or through a .so page) name
# exactly the same functions. Prints every difference; exit 0 if there is
# none, 1 otherwise.
#
# Usage: api_names.sh [SRCDIR]      (default: the project this script is in)
set -u

SRC=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

# library, version script, public header, prefix of its manual pages
LIBS=(
	"libublk lib/ublk/libublk.map include/ublk/ublk.h ublk_"
	"libcpufreqmap lib/cpufreq-map/libcpufreqmap.map include/cpufreq-map/cpufreq-map.h cfm_"
)

# The names a version script exports: the entries of its global: sections.
map_names() {
	awk '
	{
		# Comments, on one line or several.
		line = $0
		out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/")
				if (!i) { line = ""; break }
				line = substr(line, i + 2)
				incomment = 0
			} else {
				i = index(line, "/*")
				if (!i) { out = out line; break }
				out = out substr(line, 1, i - 1)
				line = substr(line, i + 2)
				incomment = 1
			}
		}
		n = split(out, w, /[ \t;{}]+/)
		for (k = 1; k <= n; k++) {
			if (w[k] == "global:") global = 1
			else if (w[k] == "local:") global = 0
			else if (w[k] ~ /^[A-Za-z_][A-Za-z0-9_]*$/ && global) print w[k]
		}
	}
	/}/ { global = 0 }
	' "$1" | sort -u
}

# The functions a header declares at file scope: comments, strings and
# preprocessor lines are skipped, as are struct bodies, typedefs, static
# (inline) functions and function pointers.
header_names() {
	awk '
	function flush(s,    name) {
		if (s ~ /^[ \t\n]*(typedef|static)[ \t\n]/)
			return
		# Drop __attribute__((...)) so that its arguments are not taken
		# for a function.
		while (match(s, /__attribute__[ \t\n]*\(\([^()]*(\([^()]*\)[^()]*)*\)\)/))
			s = substr(s, 1, RSTART - 1) substr(s, RSTART + RLENGTH)
		if (match(s, /[A-Za-z_][A-Za-z0-9_]*\(/)) {
			name = substr(s, RSTART, RLENGTH - 1)
			print name
		}
	}
	{ src = src $0 "\n" }
	END {
		n = length(src)
		stmt = ""
		depth = 0
		bol = 1		# at the beginning of a line, but for blanks
		for (i = 1; i <= n; i++) {
			c = substr(src, i, 1)
			two = substr(src, i, 2)
			if (two == "/*") {
				j = index(substr(src, i + 2), "*/")
				i = j ? i + 2 + j : n
				continue
			}
			if (two == "//") {
				j = index(substr(src, i), "\n")
				i = j ? i + j - 2 : n
				continue
			}
			if (c == "#" && bol) {
				# A directive, with its continuation lines.
				while (i <= n && substr(src, i, 1) != "\n") {
					if (substr(src, i, 2) == "\\\n")
						i++
					i++
				}
				continue
			}
			if (c == "\"" || c == "\047") {
				j = i
				for (i++; i <= n && substr(src, i, 1) != c; i++)
					if (substr(src, i, 1) == "\\")
						i++
				# Kept for extern "C", without parentheses that
				# could pass for a call.
				lit = substr(src, j, i - j + 1)
				gsub(/[()]/, "", lit)
				if (depth == 0)
					stmt = stmt lit
				continue
			}
			if (c == "\n")
				bol = 1
			else if (c != " " && c != "\t")
				bol = 0
			if (c == "{") {
				if (depth == 0 && stmt ~ /^[ \t\n]*extern[ \t\n]*"C"[ \t\n]*$/) {
					stmt = ""
					externc = 1
					continue
				}
				if (depth == 0)
					before = stmt
				depth++
				continue
			}
			if (c == "}") {
				if (depth == 0 && externc) {
					externc = 0
					stmt = ""
					continue
				}
				depth--
				# The end of a function body: no ";" follows.
				if (depth == 0 && before ~ /\)[ \t\n]*$/)
					stmt = ""
				continue
			}
			if (depth > 0)
				continue
			if (c == ";") {
				flush(stmt)
				stmt = ""
				continue
			}
			stmt = stmt c
		}
	}
	' "$1" | sort -u
}

# The names of man/<prefix>*.3 whose page, or the page a .so page points
# to, lists the name in its NAME section ("name, name \- what they do");
# each page that does not is reported on stderr and left out.
man_names() {
	awk -v prefix="$1" '
	FNR == 1 {
		page = FILENAME
		sub(/.*\//, "", page)
		sub(/\.3$/, "", page)
		pages[page] = 1
		getname = 0
		if ($1 == ".so") {
			target = $2
			sub(/.*\//, "", target)
			sub(/\.3$/, "", target)
			so[page] = target
			sotext[page] = $0
		}
	}
	getname {
		getname = 0
		sub(/ *\\-.*/, "")
		n = split($0, w, /, */)
		for (k = 1; k <= n; k++)
			lists[page, w[k]] = 1
	}
	/^\.SH NAME/ { getname = 1 }
	END {
		for (page in pages) {
			if (index(page, prefix) != 1)
				continue
			target = (page in so) ? so[page] : page
			if (!(target in pages))
				print "man/" page ".3: .so names a page that does not exist: " sotext[page] >"/dev/stderr"
			else if (!((target, page) in lists))
				print "man/" page ".3: NAME section of man/" target ".3 does not list " page >"/dev/stderr"
			else
				print page
		}
	}
	' "$SRC"/man/*.3 | sort -u
}

failed=0
for entry in "${LIBS[@]}"; do
	read -r lib map header prefix <<<"$entry"
	for f in "$map" "$header"; do
		if [ ! -f "$SRC/$f" ]; then
			echo "$lib: $f: no such file"
			failed=1
			continue 2
		fi
	done
	tmp=$(mktemp -d)
	map_names "$SRC/$map" >"$tmp/map"
	header_names "$SRC/$header" >"$tmp/header"
	man_names "$prefix" >"$tmp/man" 2>"$tmp/man-errors"
	sort -u "$tmp/map" "$tmp/header" "$tmp/man" >"$tmp/all"
	bad=0
	if [ -s "$tmp/man-errors" ]; then
		sed "s/^/$lib: /" "$tmp/man-errors"
		bad=1
	fi
	awk -v lib="$lib" -v map="$map" -v header="$header" '
		FILENAME == ARGV[1] { in_map[$0] = 1; next }
		FILENAME == ARGV[2] { in_header[$0] = 1; next }
		FILENAME == ARGV[3] { in_man[$0] = 1; next }
		{
			missing = ""
			if (!($0 in in_map))
				missing = missing " " map
			if (!($0 in in_header))
				missing = missing " " header
			if (!($0 in in_man))
				missing = missing " man/" $0 ".3"
			if (missing != "")
				print lib ": " $0 ": missing from" missing
		}
	' "$tmp/map" "$tmp/header" "$tmp/man" "$tmp/all" >"$tmp/missing"
	if [ -s "$tmp/missing" ]; then
		cat "$tmp/missing"
		bad=1
	fi
	if [ ! -s "$tmp/all" ]; then
		echo "$lib: no function found at all"
		bad=1
	fi
	if [ "$bad" = 0 ]; then
		echo "$lib: $(wc -l <"$tmp/all") functions, the same in $map, $header and man/"
	else
		failed=1
	fi
	rm -rf "$tmp"
done
exit "$failed"
