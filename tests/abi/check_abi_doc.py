#!/usr/bin/env python3
"""docs/abi.md against the ABI headers: fails when the doc's system call
table is not exactly what scripts/lib/abi-table makes from aion/syscall.h's
list (its numbers, names and DOC strings), when its error table (code and
name) differs from aion/error.h's, or when its list of headers misses a
file of include/aion/ or names one that is gone.

The lists come from abi_lists (tests/abi/abi_lists.c), which prints them
as the C compiler expands the X-macros, so the check reads the same truth
the kernel and libaion are built from.

Usage: check_abi_doc.py ABI_LISTS_EXE REPO_ROOT"""
import re
import subprocess
import sys
from pathlib import Path

ROW_RE = re.compile(r"^\|\s*(\d+)\s*\|\s*`([A-Z0-9_]+)`\s*\|", re.M)
HEADER_RE = re.compile(r"^- `([a-z0-9_]+\.h)`", re.M)


def section(doc, title):
    """The text under `## title` up to the next `## `."""
    m = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", doc, re.M | re.S)
    if not m:
        raise SystemExit(f"abi-doc: docs/abi.md has no section `## {title}`")
    return m.group(1)


def header_lists(exe):
    syscalls, errors, names = {}, {}, {}
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        kind, num, name, *rest = line.split()
        if kind == "syscall":
            syscalls[int(num)] = name
            names[name] = rest[0]
        else:
            errors[int(num)] = name
    return syscalls, errors, names


def doc_rows(text):
    rows = {}
    for num, name in ROW_RE.findall(text):
        if int(num) in rows:
            rows[int(num)] = rows[int(num)] + " and " + name
        else:
            rows[int(num)] = name
    return rows


def compare(what, header, doc, where):
    problems = []
    for num in sorted(set(header) | set(doc)):
        want, got = header.get(num), doc.get(num)
        if want == got:
            continue
        if got is None:
            problems.append(f"{what} {num} {want} ({where}) is missing from docs/abi.md")
        elif want is None:
            problems.append(f"docs/abi.md lists {what} {num} {got}, which {where} does not have")
        else:
            problems.append(f"{what} {num} is {want} in {where} but {got} in docs/abi.md")
    return problems


def syscall_table(exe, root):
    """abi-table --check: its diff and message go to the test log."""
    check = subprocess.run([root / "scripts" / "lib" / "abi-table", "--check", "--lists", exe])
    return [] if check.returncode == 0 else [
        "the table of system calls is not what scripts/lib/abi-table makes (diff above)"]


def header_files(root, doc):
    on_disk = {p.name for p in (root / "include" / "aion").glob("*.h")}
    listed = set(HEADER_RE.findall(section(doc, "Headers")))
    return ([f"include/aion/{h} is not in docs/abi.md's `## Headers` list"
             for h in sorted(on_disk - listed)] +
            [f"docs/abi.md's `## Headers` lists {h}, which include/aion/ does not have"
             for h in sorted(listed - on_disk)])


def list_rules(syscalls, names):
    """The conventions the kernel table and libaion's stubs rely on."""
    problems = [f"aion/syscall.h: {upper} has the lower-case name {lower}, not {upper.lower()}"
                for upper, lower in names.items() if lower != upper.lower()]
    if sorted(syscalls) != list(range(len(syscalls))):
        problems.append("aion/syscall.h: numbers are not 0..n-1, each once")
    return problems


def main():
    exe, root = sys.argv[1], Path(sys.argv[2])
    doc = (root / "docs" / "abi.md").read_text()
    syscalls, errors, names = header_lists(exe)
    if len(syscalls) < 10 or len(errors) < 10:
        raise SystemExit(f"abi-doc: abi_lists printed {len(syscalls)} calls and "
                         f"{len(errors)} errors: the lists did not expand")
    problems = (list_rules(syscalls, names) +
                syscall_table(exe, root) +
                compare("error", errors, doc_rows(section(doc, "Errors")),
                        "include/aion/error.h") +
                header_files(root, doc))
    for p in problems:
        print(f"abi-doc: {p}")
    if problems:
        sys.exit(1)
    print(f"abi-doc: docs/abi.md agrees with {len(syscalls)} system calls, "
          f"{len(errors)} errors and the headers of include/aion/")


if __name__ == "__main__":
    main()
