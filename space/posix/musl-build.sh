#!/bin/sh
# Builds musl's libc.a for Aion (arch aion_x86_64) without editing a musl
# file: musl's tree is mirrored as symbolic links into the build folder,
# the overlay of space/posix/musl (the arch directory aion_x86_64 and the
# x86_64 assembly it reuses: string, setjmp, the fenv and math files, none
# of which makes a system call) is copied next to it, and musl's own
# configure and Makefile build it there with ARCH=aion_x86_64.
# usage: musl-build.sh MUSL_SRC OVERLAY WORK SYSROOT CC CFLAGS
# Installs SYSROOT/include (musl's headers) and SYSROOT/lib (libc.a,
# crt1.o, crti.o, crtn.o and musl's empty libm.a, libpthread.a ...).
set -eu
src=$(cd "$1" && pwd) overlay=$(cd "$2" && pwd) work=$3 sysroot=$4 cc=$5 cflags=$6

[ -f "$src/VERSION" ] ||
	{ echo "musl-build: no musl tree at $src: run scripts/setup-host" >&2; exit 1; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
mkdir -p "$sysroot"
sysroot=$(cd "$sysroot" && pwd)

# The tree: fresh links each time (cheap), so a file removed from the
# overlay does not linger; obj/ survives, so make rebuilds only what changed.
rm -rf "$work/tree"
cp -rs "$src" "$work/tree"
cp -R "$overlay/." "$work/tree/"

# musl's Makefile does not track headers: when the overlay changed (a file,
# or a link now pointing elsewhere), obj/ starts over.
sum=$(cd "$overlay" && find . \( -type f -o -type l \) | LC_ALL=C sort | while IFS= read -r f; do
	if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f $(cksum <"$f")"; fi
done | cksum)
if [ "$(cat "$work/obj/.overlay-sum" 2>/dev/null)" != "$sum" ]; then
	rm -rf "$work/obj"
fi
mkdir -p "$work/obj"
echo "$sum" >"$work/obj/.overlay-sum"
cd "$work/obj"
# configure detects x86_64 from --target; ARCH=aion_x86_64 on make's
# command line then picks the arch directory and the */aion_x86_64 sources.
"$work/tree/configure" --target=x86_64-linux-musl --disable-shared \
	--prefix="$sysroot" CC="$cc" CFLAGS="$cflags" >configure.log 2>&1 ||
	{ cat configure.log >&2; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
make -s -j"$jobs" ARCH=aion_x86_64 AR=ar RANLIB=ranlib >make.log 2>&1 ||
	{ tail -n 40 make.log >&2; exit 1; }
rm -rf "$sysroot/include" "$sysroot/lib"
make -s ARCH=aion_x86_64 AR=ar RANLIB=ranlib install-headers install-libs >>make.log 2>&1 ||
	{ tail -n 40 make.log >&2; exit 1; }
