#!/bin/bash
# SPDX-License-Identifier: MIT
#
# kernels.sh fetch CACHE_DIR [6.12|latest|all]
#
# Downloads Debian's cloud kernels that carry ublk_drv as a module and
# unpacks what the VM tests need into CACHE_DIR/<name>/:
#   vmlinuz    the kernel image
#   version    the kernel release (uname -r)
#   package    the Debian package(s) and version it came from
#   lib/modules/<release>/  ublk_drv, null_blk, loop, nbd, brd and the
#              modules they depend on, decompressed, with a modules.dep
#
#   6.12    newest linux-image-6.12.*-cloud-amd64-unsigned from the machine's
#           own Debian suites
#   latest  linux-image-cloud-amd64 from trixie-backports
#
# Each kernel uses a private apt configuration under CACHE_DIR/apt/<name>/
# (sources list, lists, cache, status): the machine's apt configuration is
# only read, to learn the archive URI.  Once CACHE_DIR/<name>/ exists, fetch
# does no network work for it; remove the directory to pick up a newer kernel.

set -euo pipefail

LATEST_SUITE=${UBLK_VM_LATEST_SUITE:-trixie-backports}
WANTED_MODULES=(ublk_drv null_blk loop nbd brd)

die() {
	echo "kernels.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: kernels.sh fetch CACHE_DIR [6.12|latest|all]" >&2
	exit 2
}

# Print "URI SUITE KEYRING" (KEYRING "-" if none) for every enabled binary
# ("deb") entry of the machine's apt configuration, one-line and deb822.
machine_sources() {
	local f
	local -a files=()
	[ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && files+=("$f")
	done
	for f in "${files[@]}"; do
		awk '
		/^[[:space:]]*deb[[:space:]]/ {
			sub(/#.*/, "")
			key = "-"; i = 2
			if ($2 ~ /^\[/) {
				# options: [ a=b c=d ]
				while (i <= NF) {
					o = $i; gsub(/[\[\]]/, "", o)
					if (o ~ /^signed-by=/) { key = substr(o, 11) }
					if ($i ~ /\]$/) { i++; break }
					i++
				}
			}
			if (i + 1 <= NF) print $i, $(i + 1), key
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush(   n, m, a, b, j, k, key) {
			if (types ~ /(^|[[:space:]])deb([[:space:]]|$)/ && enabled != "no") {
				key = (signed == "" ? "-" : signed)
				n = split(uris, a, /[[:space:]]+/)
				m = split(suites, b, /[[:space:]]+/)
				for (j = 1; j <= n; j++)
					for (k = 1; k <= m; k++)
						if (a[j] != "" && b[k] != "") print a[j], b[k], key
			}
			types = uris = suites = signed = enabled = ""
		}
		/^#/ { next }
		/^[[:space:]]*$/ { flush(); next }
		/^[[:space:]]/ { next }    # continuation (e.g. an embedded key)
		{
			field = tolower($0); sub(/:.*/, "", field)
			val = $0; sub(/^[^:]*:[[:space:]]*/, "", val); sub(/[[:space:]]+$/, "", val)
			if (field == "types") types = val
			else if (field == "uris") uris = val
			else if (field == "suites") suites = val
			else if (field == "enabled") enabled = tolower(val)
			else if (field == "signed-by" && val ~ /^\//) signed = val
		}
		END { flush() }' "$f"
	done
}

machine_codename() {
	local c=""
	if [ -r /etc/os-release ]; then
		# shellcheck disable=SC1091
		c=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	fi
	[ -n "$c" ] || die "cannot tell the machine's Debian codename from /etc/os-release"
	echo "$c"
}

# write_sources FILE < "URI SUITE KEYRING" lines
write_sources() {
	local uri suite key
	: >"$1"
	while read -r uri suite key; do
		if [ "$key" = "-" ]; then
			echo "deb $uri $suite main" >>"$1"
		else
			echo "deb [signed-by=$key] $uri $suite main" >>"$1"
		fi
	done
	[ -s "$1" ] || die "no usable Debian archive entry in the machine's apt configuration"
}

APT_OPTS=()
apt_setup() {
	local dir=$1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
	: >"$dir/status"
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=$dir/sources.list.d"
		-o "Dir::Etc::Preferences=$dir/preferences"
		-o "Dir::Etc::PreferencesParts=$dir/preferences.d"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::State::status=$dir/status"
		-o "Dir::Cache=$dir/cache"
		-o "Acquire::Languages=none"
		-o "APT::Get::List-Cleanup=false"
	)
	mkdir -p "$dir/sources.list.d" "$dir/preferences.d"
	apt-get "${APT_OPTS[@]}" -q update >"$dir/update.log" 2>&1 ||
		{ cat "$dir/update.log" >&2; die "apt-get update failed"; }
}

# Real packages among PKG and its dependencies (three levels) that carry a
# kernel image or modules: linux-image-<ver>*, linux-binary-<ver>*,
# linux-modules-<ver>*.
kernel_packages() {
	local -a todo=("$1") next=()
	local level p d
	declare -A seen=()
	for level in 1 2 3 4; do
		next=()
		for p in "${todo[@]}"; do
			[ -n "${seen[$p]:-}" ] && continue
			seen[$p]=1
			if [[ $p =~ ^linux-(image|binary|modules)-[0-9][^[:space:]]*$ && $p != *-dbg ]]; then
				echo "$p"
			fi
			while read -r d; do
				[[ $d =~ ^linux-(image|binary|modules)- ]] && next+=("$d")
			done < <(apt-cache "${APT_OPTS[@]}" depends --no-recommends \
				--no-suggests --no-conflicts --no-breaks --no-replaces \
				--no-enhances "$p" 2>/dev/null |
				sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p')
		done
		[ ${#next[@]} -gt 0 ] || break
		[ "$level" -lt 4 ] || break
		todo=("${next[@]}")
	done
}

# Module name of a .ko file: the file name with - as _.
modname() {
	local n=${1##*/}
	n=${n%%.ko*}
	echo "${n//-/_}"
}

# deps_of KO: the "depends=" entry of the module's .modinfo, comma separated
deps_of() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | tr ',' ' '
}

# unpack NAME EXTRACT_DIR OUT_DIR: pick vmlinuz and the wanted modules
unpack() {
	local name=$1 x=$2 out=$3
	local vmlinuz moddir rel f m
	vmlinuz=$(find "$x/boot" "$x/usr/lib/modules" "$x/lib/modules" \
		\( -name 'vmlinuz-*' -o -name vmlinuz \) -type f 2>/dev/null | head -n 1 || true)
	[ -n "$vmlinuz" ] || die "$name: no vmlinuz in the downloaded packages"
	moddir=$(find "$x/lib/modules" "$x/usr/lib/modules" -mindepth 1 \
		-maxdepth 1 -type d 2>/dev/null | head -n 1 || true)
	[ -n "$moddir" ] || die "$name: no modules directory in the downloaded packages"
	rel=${moddir##*/}
	cp "$vmlinuz" "$out/vmlinuz"
	echo "$rel" >"$out/version"

	# index every module by name
	declare -A path_of=()
	while read -r f; do
		path_of[$(modname "$f")]=$f
	done < <(find "$moddir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')

	local dst="$out/lib/modules/$rel"
	mkdir -p "$dst"
	declare -A done_=() deps_=()
	local -a order=() queue=("${WANTED_MODULES[@]}")
	while [ ${#queue[@]} -gt 0 ]; do
		m=${queue[0]}
		queue=("${queue[@]:1}")
		[ -n "${done_[$m]:-}" ] && continue
		done_[$m]=1
		f=${path_of[$m]:-}
		[ -n "$f" ] || die "$name ($rel): module $m not found"
		local relpath=${f#"$moddir"/}
		relpath=${relpath%.xz}
		relpath=${relpath%.zst}
		relpath=${relpath%.gz}
		mkdir -p "$dst/${relpath%/*}"
		case $f in
		*.xz) xz -dc "$f" >"$dst/$relpath" ;;
		*.zst) zstd -qdc "$f" >"$dst/$relpath" ;;
		*.gz) gzip -dc "$f" >"$dst/$relpath" ;;
		*) cp "$f" "$dst/$relpath" ;;
		esac
		order+=("$m")
		path_of[$m]=$relpath
		deps_[$m]=$(deps_of "$dst/$relpath")
		local -a more=()
		read -r -a more <<<"${deps_[$m]}"
		queue+=("${more[@]}")
	done

	# modules.dep in depmod's format: a module's dependencies, those needed
	# last first (modprobe loads the list from its end).
	: >"$dst/modules.dep"
	for m in "${order[@]}"; do
		local -a closure=() stack=()
		declare -A in_=()
		read -r -a stack <<<"${deps_[$m]}"
		while [ ${#stack[@]} -gt 0 ]; do
			local d=${stack[0]}
			stack=("${stack[@]:1}")
			[ -n "${in_[$d]:-}" ] && continue
			in_[$d]=1
			closure+=("${path_of[$d]}")
			local -a more=()
			read -r -a more <<<"${deps_[$d]}"
			stack+=("${more[@]}")
		done
		unset in_
		echo "${path_of[$m]}:${closure[*]:+ ${closure[*]}}" >>"$dst/modules.dep"
	done
}

fetch_one() {
	local cache=$1 name=$2
	local out="$cache/$name"
	if [ -s "$out/vmlinuz" ] && [ -s "$out/version" ] && [ -f "$out/.complete" ]; then
		return 0
	fi
	local codename
	codename=$(machine_codename)
	local aptdir="$cache/apt/$name"
	mkdir -p "$aptdir"
	local sources
	sources=$(machine_sources | sort -u)
	case $name in
	6.12)
		# the machine's own suites: <codename>, <codename>-updates, -security
		awk -v c="$codename" '($2 == c || index($2, c "-") == 1) && $2 !~ /-backports$/' \
			<<<"$sources" | write_sources "$aptdir/sources.list"
		;;
	latest)
		awk -v c="$codename" -v s="$LATEST_SUITE" '$2 == c { print $1, s, $3; exit }' \
			<<<"$sources" | write_sources "$aptdir/sources.list"
		;;
	*) die "unknown kernel '$name' (6.12 or latest)" ;;
	esac
	echo "kernels.sh: $name: looking up packages" >&2
	apt_setup "$aptdir"

	local top
	case $name in
	6.12)
		top=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-image-6.12. |
			grep -E '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-cloud-amd64-unsigned$' |
			sort -V | tail -n 1 || true)
		[ -n "$top" ] || die "6.12: no linux-image-6.12.*-cloud-amd64-unsigned in $(cat "$aptdir/sources.list")"
		;;
	latest)
		top=linux-image-cloud-amd64
		;;
	esac
	local -a pkgs
	mapfile -t pkgs < <(kernel_packages "$top" | sort -u)
	[ ${#pkgs[@]} -gt 0 ] || die "$name: $top resolves to no kernel package"
	# a split layout: the image package is nearly empty, keep binary + modules
	if printf '%s\n' "${pkgs[@]}" | grep -q '^linux-binary-'; then
		mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | grep -E '^linux-(binary|modules)-')
	fi
	echo "kernels.sh: $name: downloading ${pkgs[*]}" >&2
	rm -f "$aptdir/debs/"*.deb
	(cd "$aptdir/debs" && apt-get "${APT_OPTS[@]}" -q download "${pkgs[@]}" >../download.log 2>&1) ||
		{ cat "$aptdir/download.log" >&2; die "$name: apt-get download failed"; }

	local x="$cache/$name.extract" tmp="$cache/$name.tmp" deb
	rm -rf "$x" "$tmp"
	mkdir -p "$x" "$tmp"
	for deb in "$aptdir/debs/"*.deb; do
		dpkg-deb -x "$deb" "$x"
		echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >>"$tmp/package"
	done
	unpack "$name" "$x" "$tmp"
	touch "$tmp/.complete"
	rm -rf "$x" "$out" "$aptdir/debs"
	mv "$tmp" "$out"
	echo "kernels.sh: $name: $(cat "$out/version")" >&2
}

main() {
	[ $# -ge 2 ] || usage
	local cmd=$1 cache=$2 which=${3:-all}
	[ "$cmd" = fetch ] || usage
	mkdir -p "$cache"
	cache=$(cd "$cache" && pwd)
	local -a names
	case $which in
	all) names=(6.12 latest) ;;
	6.12 | latest) names=("$which") ;;
	*) usage ;;
	esac
	exec 9>"$cache/.lock"
	flock 9
	local n
	for n in "${names[@]}"; do
		fetch_one "$cache" "$n"
	done
}

main "$@"
