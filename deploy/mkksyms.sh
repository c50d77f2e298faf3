#!/bin/sh
# Writes the kernel symbol table module: "<hex address> <name>" per line,
# sorted by address, text symbols only (what a fault RIP can fall in).
# usage: mkksyms.sh NM KERNEL_ELF OUT
set -eu
"$1" -n --defined-only "$2" | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' > "$3"
