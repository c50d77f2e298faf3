#!/bin/sh
# Builds lib/ext2fs and lib/et (com_err) of Debian's e2fsprogs source
# (scripts/setup-host), no file of it edited, out of its tree, with its own
# configure and make: for the host (CC "gcc") or for Aion (CC "aion-cc
# SYSROOT POSIXLIB", HOST x86_64-linux-musl). docs/storage.md "lib/ext2fs".
# usage: build.sh SRC OUT CC HOST STAMP [fsck]
#   SRC    e2fsprogs' source tree     OUT    the build folder
#   CC     the C compiler (make splits it at spaces)
#   HOST   configure's --host ('' for the build machine)
#   STAMP  written (empty) when both libraries are built; OUT/lib holds
#          libext2fs.a, libcom_err.a and the generated headers. A header
#          name, so that meson builds it before the files that include
#          lib/ext2fs's headers.
#   fsck   also e2fsck, unedited, as archives for space/ext2's own link
#          (meson.build, docs/storage.md "Recovery"): OUT/e2fsck/
#          libe2fsck.a (its objects, main among them), OUT/lib/
#          libext2fs-fsck.a (libext2fs.a whose unix_io_manager and
#          ext2fs_get_device_size2 are weak, so that fsck_io.c's
#          definitions are the ones e2fsck uses), and the
#          libraries e2fsck needs: support, e2p, blkid and uuid (its own).
set -eu
src=$1 out=$2 cc=$3 host=$4 stamp=$5 fsck=${6:-}
mkdir -p "$out"
out=$(cd "$out" && pwd)
log="$out/build.log"
: >"$log"
# Only what lib/ext2fs needs: no translations, no daemons or helper
# programs (uuidd, e4defrag, fuse2fs), no backtraces (musl has none).
# lib/uuid and lib/blkid stay configured (configure wants them or the
# host's), built only with fsck.
set -- --disable-nls --disable-fuse2fs --disable-uuidd \
	--disable-e2initrd-helper --disable-defrag --disable-tdb \
	--disable-bmap-stats --disable-backtrace
[ -z "$host" ] || set -- "$@" --host="$host"
if ! (cd "$out" && "$src/configure" CC="$cc" "$@") >>"$log" 2>&1; then
	echo "e2fsprogs: configure failed; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
# The generated headers first, alone: lib/ext2fs's Makefile does not order
# them before its objects (a parallel make compiled one without them).
if ! { make -C "$out/lib/et" -j"$(nproc)" &&
       make -C "$out/lib/ext2fs" ext2_err.h crc32c_table.h &&
       make -C "$out/lib/ext2fs" -j"$(nproc)" libext2fs.a; } >>"$log" 2>&1; then
	echo "e2fsprogs: the build failed; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
if [ -n "$fsck" ] &&
   ! { make -C "$out/lib/uuid" -j"$(nproc)" libuuid.a &&
       make -C "$out/lib/blkid" -j"$(nproc)" libblkid.a &&
       make -C "$out/lib/support" -j"$(nproc)" libsupport.a &&
       make -C "$out/lib/e2p" -j"$(nproc)" libe2p.a &&
       make -C "$out/e2fsck" -j"$(nproc)" e2fsck &&
       rm -f "$out/e2fsck/libe2fsck.a" &&
       ar rcs "$out/e2fsck/libe2fsck.a" "$out"/e2fsck/*.o &&
       objcopy --weaken-symbol=unix_io_manager \
	       --weaken-symbol=ext2fs_get_device_size2 "$out/lib/libext2fs.a" \
	       "$out/lib/libext2fs-fsck.a"; } >>"$log" 2>&1; then
	echo "e2fsprogs: e2fsck's build failed; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
touch "$stamp"
