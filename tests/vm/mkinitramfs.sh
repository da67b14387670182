#!/bin/bash
# SPDX-License-Identifier: MIT
#
# mkinitramfs.sh --out FILE --kernel-dir DIR --stage DIR [--build DIR] [--cache DIR]
#
# Builds the VM tests' initramfs (gzip'd cpio) as two concatenated archives:
#   base  busybox, bash, fio, e2fsprogs, util-linux, jq, a few coreutils, the
#         NBD servers and clients (nbdkit with some plugins and filters,
#         qemu-nbd, qemu-img, nbdcopy, nbdinfo, nbd-client) and the shared
#         libraries they link; cached in CACHE_DIR (default: the
#         directory of --out) and rebuilt only when one of them changes
#   top   the kernel's modules (--kernel-dir, from kernels.sh), the project
#         as installed in --stage (meson install --destdir), executables the
#         build put under BUILD/tests/vm/ and BUILD/tests/vm/progs/ and the
#         examples (BUILD/examples/demo_*) (to /vm/bin), the shared
#         libraries all these executables link that the base lacks (found
#         with ldd: liburing, and the sanitizer runtimes libasan and libubsan
#         of a sanitized build), /init, the guest scripts, the cases and
#         their tables (/vm/cases), the bench scripts (/vm/bench), the demo (/vm/demo) and
#         an ld.so.cache covering everything

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCROOT=$(cd "$HERE/../.." && pwd)

# Tools shipped in the guest (host command names), besides busybox.  GNU
# and util-linux versions win over busybox applets of the same name.
TOOLS=(
	bash fio jq
	mkfs.ext4 mke2fs e2fsck filefrag
	losetup blkdiscard fallocate blockdev taskset setpriv lsblk mount umount
	mountpoint
	timeout stat sha256sum dd truncate sync nproc nice
	cmp ps pgrep pkill
	# the nbd target's servers and second clients, and the kernel's client
	nbdkit qemu-nbd qemu-img nbdcopy nbdinfo nbd-client
)

# nbdkit's plugins and filters the cases use (nbdkit loads them by path)
NBDKIT_DIR=/usr/lib/x86_64-linux-gnu/nbdkit
NBDKIT_MODULES=(
	plugins/nbdkit-memory-plugin.so plugins/nbdkit-file-plugin.so
	filters/nbdkit-log-filter.so filters/nbdkit-blocksize-policy-filter.so
	filters/nbdkit-nozero-filter.so filters/nbdkit-exportname-filter.so
)

die() {
	echo "mkinitramfs.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: mkinitramfs.sh --out FILE --kernel-dir DIR --stage DIR [--build DIR] [--cache DIR]" >&2
	exit 2
}

OUT="" KDIR="" STAGE="" BUILD="" CACHE=""
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--kernel-dir) KDIR=$2; shift 2 ;;
	--stage) STAGE=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--cache) CACHE=$2; shift 2 ;;
	*) usage ;;
	esac
done
if [ -z "$OUT" ] || [ -z "$KDIR" ] || [ -z "$STAGE" ]; then
	usage
fi
if [ ! -s "$KDIR/vmlinuz" ] || [ ! -s "$KDIR/version" ]; then
	die "$KDIR: not a kernel directory from kernels.sh"
fi
[ -d "$STAGE" ] || die "$STAGE: no such directory"
CACHE=${CACHE:-$(dirname "$OUT")}
mkdir -p "$CACHE"

# copy_libs ROOT FILE...: copy the shared libraries FILEs need into ROOT
# at the paths the dynamic loader resolves (skipping what ROOT already has).
copy_libs() {
	local root=$1
	shift
	local lib dst
	while read -r lib; do
		dst=$(usr_path "$lib")
		[ -e "$root$dst" ] && continue
		mkdir -p "$root$(dirname "$dst")"
		cp -L "$lib" "$root$dst"
	done < <(for f in "$@"; do
		ldd "$f" 2>/dev/null | awk '
			$2 == "=>" && $3 ~ /^\// { print $3 }
			$1 ~ /^\// { print $1 }'
	done | sort -u)
}

# The guest has a merged /usr (/lib -> usr/lib ...): name files by their
# /usr path so that archives never carry /lib as a directory.
usr_path() {
	case $1 in
	/lib/* | /lib64/* | /bin/* | /sbin/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}

tool_path() {
	local p
	p=$(command -v "$1" 2>/dev/null) || die "$1 not found on this machine (install it with apt-get)"
	readlink -f "$p"
}

build_base() {
	local root=$1
	local t p d
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc,proc,sys,dev,tmp,run,mnt,root,var}
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	local -a bins=()
	for t in "${TOOLS[@]}"; do
		p=$(command -v "$t") || die "$t not found on this machine (install it with apt-get)"
		case $p in
		*/sbin/*) d=usr/sbin ;;
		*) d=usr/bin ;;
		esac
		cp -L "$p" "$root/$d/$t"
		bins+=("$root/$d/$t")
	done
	for t in "${NBDKIT_MODULES[@]}"; do
		[ -e "$NBDKIT_DIR/$t" ] || die "$NBDKIT_DIR/$t not found (install nbdkit)"
		mkdir -p "$root$NBDKIT_DIR/$(dirname "$t")"
		cp -L "$NBDKIT_DIR/$t" "$root$NBDKIT_DIR/$t"
		bins+=("$root$NBDKIT_DIR/$t")
	done
	copy_libs "$root" "${bins[@]}"

	local bb
	bb=$(tool_path busybox)
	file_is_static "$bb" || die "$bb is not static (install busybox-static)"
	cp "$bb" "$root/usr/bin/busybox"
	local applet
	for applet in $("$bb" --list); do
		[ -e "$root/usr/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] ||
			ln -s busybox "$root/usr/bin/$applet"
	done

	cat >"$root/etc/passwd" <<-'EOF'
	root:x:0:0:root:/root:/bin/bash
	nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
	EOF
	cat >"$root/etc/group" <<-'EOF'
	root:x:0:
	nogroup:x:65534:
	EOF
	mkdir -p "$root/etc/ld.so.conf.d"
	echo 'include /etc/ld.so.conf.d/*.conf' >"$root/etc/ld.so.conf"
	printf '%s\n' /usr/local/lib/x86_64-linux-gnu /usr/local/lib \
		/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu >"$root/etc/ld.so.conf.d/vm.conf"
	ln -s /proc/mounts "$root/etc/mtab"
}

file_is_static() {
	! ldd "$1" >/dev/null 2>&1
}

# A key that changes when any shipped tool, busybox or this script changes.
base_key() {
	local t
	{
		sha256sum "${BASH_SOURCE[0]}"
		for t in "${TOOLS[@]}" busybox; do
			stat -L -c '%n %s %Y' "$(command -v "$t")" 2>/dev/null || echo "$t missing"
		done
	} | sha256sum | cut -d' ' -f1
}

mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -6
}

# --- base (cached) -----------------------------------------------------------
key=$(base_key)
exec 9>"$CACHE/.base.lock"
flock 9
if [ "$(cat "$CACHE/base.key" 2>/dev/null)" != "$key" ] ||
	[ ! -s "$CACHE/base.cpio.gz" ] || [ ! -d "$CACHE/base" ]; then
	echo "mkinitramfs.sh: building the base archive" >&2
	rm -rf "$CACHE/base" "$CACHE/base.cpio.gz" "$CACHE/base.key"
	build_base "$CACHE/base.new"
	mkcpio "$CACHE/base.new" >"$CACHE/base.cpio.gz.new"
	mv "$CACHE/base.new" "$CACHE/base"
	mv "$CACHE/base.cpio.gz.new" "$CACHE/base.cpio.gz"
	echo "$key" >"$CACHE/base.key"
fi

# --- top (every time) --------------------------------------------------------
work=$(mktemp -d "$CACHE/top.XXXXXX")
trap 'rm -rf "$work"' EXIT
top=$work/top
mkdir -p "$top/dev" "$top/vm/bin" "$top/vm/guest" "$top/vm/cases" "$top/vm/bench" "$top/vm/demo" \
	"$top/usr/lib/modules" "$top/etc"
mknod -m 600 "$top/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$top/dev/null" c 1 3 2>/dev/null || true

# the project, as meson installed it
cp -a "$STAGE/." "$top/"

# kernel modules
cp -a "$KDIR/lib/modules/." "$top/usr/lib/modules/"

# guest side
install -m 755 "$HERE/guest/init" "$top/init"
install -m 755 "$HERE/guest/run.sh" "$top/vm/guest/run.sh"
install -m 644 "$HERE/lib.sh" "$top/vm/lib.sh"
mkdir -p "$top/vm/lib"
install -m 644 "$HERE"/lib/*.sh "$top/vm/lib/"
install -m 644 "$HERE/../tap.sh" "$top/vm/tap.sh"
for f in "$HERE"/cases/*.sh; do
	[ -e "$f" ] && install -m 755 "$f" "$top/vm/cases/"
done
# data files of the cases (tables of command lines)
for f in "$HERE"/cases/*.table; do
	[ -e "$f" ] && install -m 644 "$f" "$top/vm/cases/"
done
for f in "$HERE"/demo/*.sh; do
	[ -e "$f" ] && install -m 755 "$f" "$top/vm/demo/"
done
for f in "$SRCROOT"/bench/ublk/*.sh; do
	[ -e "$f" ] && install -m 755 "$f" "$top/vm/bench/"
done

# test helpers the build made (BUILD/tests/vm, BUILD/tests/vm/progs) and the
# examples, which meson does not install
if [ -n "$BUILD" ]; then
	while read -r f; do
		install -m 755 "$f" "$top/vm/bin/"
	done < <(for d in "$BUILD/tests/vm" "$BUILD/tests/vm/progs"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -executable
	done
	find "$BUILD/examples" -maxdepth 1 -type f -executable -name 'demo_*' 2>/dev/null)
fi

# shared libraries of the project's executables and helpers, resolved with the
# stage's own library directories first
mapfile -t exes < <(find "$top" -path "$top/usr/lib/modules" -prune -o -type f \
	-perm -u+x -print | while read -r f; do
	head -c 4 "$f" | grep -q 'ELF' && echo "$f"
done)
if [ ${#exes[@]} -gt 0 ]; then
	stage_libdirs=$(find "$top/usr" -name '*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd:)
	LD_LIBRARY_PATH=$stage_libdirs copy_libs "$work/libs" "${exes[@]}"
	if [ -d "$work/libs" ]; then
		# keep only what neither the base nor the stage has
		while read -r f; do
			rel=${f#"$work/libs"}
			case $rel in "$top"/*) continue ;; esac
			if [ ! -e "$CACHE/base/$rel" ] && [ ! -e "$top$rel" ]; then
				mkdir -p "$top$(dirname "$rel")"
				cp "$f" "$top$rel"
			fi
		done < <(find "$work/libs" -type f)
	fi
fi

# ld.so.cache over base + top
merged=$work/merged
cp -al "$CACHE/base" "$merged"
cp -a "$top/." "$merged/"
ldconfig -X -r "$merged"
cp "$merged/etc/ld.so.cache" "$top/etc/ld.so.cache"

mkcpio "$top" >"$work/top.cpio.gz"
cat "$CACHE/base.cpio.gz" "$work/top.cpio.gz" >"$OUT.new"
mv "$OUT.new" "$OUT"
