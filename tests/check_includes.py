#!/usr/bin/env python3
"""The kernel's headers are the kernel's own: fail when a file outside
kernel/ includes one, or when a meson.build outside kernel/ puts a kernel
include folder on its path. Shared pure code lives in common/ (`#include
"common/x.h"`), the ABI in include/aion/, libaion's API in
space/lib/include/libaion/.

One exception, on purpose: the host tests in tests/unit/ compile the
kernel's pure files (pmm.c, runq.c, ...) and so include those files'
headers.

Inside kernel/, the architecture's headers (arch/x86_64/include/arch/)
are the architecture's own: generic code (kernel/core, mm, lib, include)
reaches it only through the arch_* hooks of kernel/include/arch.h, so a
generic file that includes "arch/..." fails too.

Usage: check_includes.py REPO_ROOT"""
import re
import sys
from pathlib import Path

KERNEL_INCLUDE_DIRS = ("kernel/include", "kernel/arch/x86_64/include")
SOURCE_DIRS = ("common", "include", "space", "netstack", "mesh", "tests", "deploy")
ALLOWED = ("tests/unit/",)
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def kernel_headers(root):
    """Names a quoted #include would reach in the kernel's include folders."""
    names = set()
    for d in KERNEL_INCLUDE_DIRS:
        base = root / d
        names |= {str(p.relative_to(base)) for p in base.rglob("*.h")}
        names |= {str(p.relative_to(base)) for p in base.rglob("*.inc")}
    return names


def source_files(root):
    for d in SOURCE_DIRS:
        for p in sorted((root / d).rglob("*")):
            if p.suffix in (".c", ".h", ".S") and p.is_file():
                yield p


def include_violations(root):
    private = kernel_headers(root)
    out = []
    for p in source_files(root):
        rel = str(p.relative_to(root))
        if rel.startswith(ALLOWED):
            continue
        for m in INCLUDE_RE.finditer(p.read_text(errors="replace")):
            name = m.group(1)
            # A header next to the file (or in its own tree) wins over the
            # search path: only a name that exists nowhere else but in
            # kernel/ is the kernel's.
            if name in private and not (p.parent / name).exists():
                line = p.read_text(errors="replace")[:m.start()].count("\n") + 1
                out.append(f"{rel}:{line}: includes the kernel's private header \"{name}\"")
    return out


def meson_violations(root):
    out = []
    for p in sorted(root.rglob("meson.build")):
        rel = str(p.relative_to(root))
        if rel.startswith(("kernel/", "third_party/", "build/")) or rel.startswith(ALLOWED):
            continue
        for i, line in enumerate(p.read_text().splitlines(), 1):
            if re.search(r"['\"](\.\./)*kernel/(include|arch)", line):
                out.append(f"{rel}:{i}: a kernel include folder on the path: {line.strip()}")
    return out


def arch_violations(root):
    """Generic kernel files that include an arch/<arch> header."""
    out = []
    for d in ("kernel/core", "kernel/mm", "kernel/lib", "kernel/include"):
        for p in sorted((root / d).rglob("*")):
            if p.suffix not in (".c", ".h", ".S"):
                continue
            text = p.read_text(errors="replace")
            for m in INCLUDE_RE.finditer(text):
                if m.group(1).startswith("arch/"):
                    line = text[:m.start()].count("\n") + 1
                    out.append(f"{p.relative_to(root)}:{line}: generic kernel code includes "
                               f"\"{m.group(1)}\": use an arch_* hook of arch.h")
    return out


def main(root):
    root = Path(root).resolve()
    problems = include_violations(root) + meson_violations(root) + arch_violations(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check_includes: {len(problems)} use(s) of private headers: kernel's outside "
              f"kernel/, or the architecture's in generic kernel code")
        return 1
    print(f"check_includes: no file outside kernel/ includes one of its "
          f"{len(kernel_headers(root))} private headers, and generic kernel code "
          f"includes no arch/ header")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
