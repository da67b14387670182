#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the examples build stand-alone against an installed libublk
# (header, pkg-config file, shared library), with nothing from the source tree.
#
# examples-standalone.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build" --quiet --destdir "$stage" >/dev/null
pc=$(dirname "$(find "$stage" -name libublk.pc | head -1)")
[ -n "$pc" ] || { echo "libublk.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$stage

for name in demo_null demo_event demo_event_loop; do
	cp "$src/examples/$name.c" "$stage/"
	# shellcheck disable=SC2046
	cc -std=gnu17 -Wall -Wextra -Werror -o "$stage/$name" "$stage/$name.c" \
		$(pkg-config --cflags --libs libublk) -lpthread
	echo "built $name"
done
