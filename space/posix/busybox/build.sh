#!/bin/sh
# Builds busybox for Aion from Debian's source (scripts/setup-host), no
# file of it edited, out of its tree: allnoconfig, then the options of
# aion.config, then `make busybox` with aion-cc (docs/posix.md "Busybox").
# usage: build.sh SRC OUT CC STAMP
#   SRC    busybox's source tree       OUT    the build folder (busybox's O=)
#   CC     "space/posix/aion-cc SYSROOT POSIXLIB" (make splits it at spaces)
#   STAMP  touched when busybox is built
set -eu
src=$1 out=$2 cc=$3 stamp=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
log="$out/build.log"
make -C "$src" O="$out" allnoconfig >"$log" 2>&1
while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	key=${line%%=*}
	if grep -q "^# $key is not set" "$out/.config"; then
		sed -i "s|^# $key is not set|$line|" "$out/.config"
	elif grep -q "^$key=" "$out/.config"; then
		sed -i "s|^$key=.*|$line|" "$out/.config"
	else
		echo "$line" >>"$out/.config"
	fi
done <"$here/aion.config"
yes "" | make -C "$src" O="$out" oldconfig >>"$log" 2>&1
# An option Kconfig dropped (a dependency missing) is a configuration error.
lost=$(grep -v '^#' "$here/aion.config" | grep '=' | while IFS= read -r line; do
	grep -qx "$line" "$out/.config" || echo "${line%%=*}"
done)
if [ -n "$lost" ]; then
	echo "busybox: options not taken by Kconfig: $lost" >&2
	exit 1
fi
if ! make -C "$src" O="$out" -j"$(nproc)" CC="$cc" HOSTCC=gcc busybox >>"$log" 2>&1; then
	echo "busybox: the build failed; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
touch "$stamp"
