#!/bin/sh
# Builds the BIOS-bootable GRUB2 ISO from the kernel, its modules and grub.cfg.
# usage: mkiso.sh OUT_ISO GRUB_CFG KERNEL_ELF KSYMS [PROGRAM...]
# Programs go to /boot/<name>; grub.cfg loads each as a module of that name.
set -eu
out=$1 cfg=$2 kernel=$3 ksyms=$4
shift 4
stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$cfg" "$stage/boot/grub/grub.cfg"
cp "$kernel" "$stage/boot/aion.elf"
cp "$ksyms" "$stage/boot/ksyms"
for prog in "$@"; do
	cp "$prog" "$stage/boot/$(basename "$prog")"
done
# Only the BIOS platform: the nodes boot SeaBIOS; -d pins it even when an
# EFI GRUB is installed too.
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$stage" >"$out.log" 2>&1 ||
	{ cat "$out.log" >&2; exit 1; }
