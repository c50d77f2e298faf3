#!/usr/bin/env python3
"""docs/walkthrough.md names code as `path:function` (a C function, a
Python function, or an assembly label). Fail when a named file does not
exist or does not define that function, so the walkthrough cannot drift
from the code it walks through.

A C function counts as defined when a line starts with its declaration
(return type and name) and the next `{` opens its body; a prototype alone
does not count. Python: `def name(`. Assembly: a line `name:`.

Usage: check_walkthrough.py REPO_ROOT [DOC]"""
import re
import sys
from pathlib import Path

# `kernel/core/endpoint.c:sys_ipc_call`, inside backquotes.
REF_RE = re.compile(r"`([\w./-]+\.(?:c|h|S|py)|[\w./-]+/[\w-]+):(\w+)`")


def defines(path, name):
    text = path.read_text(errors="replace")
    if path.suffix == ".py" or text.startswith("#!/usr/bin/env python3"):
        return re.search(rf"^\s*def {name}\(", text, re.M) is not None
    if path.suffix == ".S":
        return re.search(rf"^{name}:", text, re.M) is not None
    # C: the name at the head of a definition, then its parameters, then a
    # body (not a `;`): `static int64_t sys_ipc_call(const struct ...)\n{`.
    pattern = rf"^[A-Za-z_][\w \t\*]*?\b{name}\s*\([^;{{]*\)\s*\{{"
    return re.search(pattern, text, re.M | re.S) is not None


def check(root, doc):
    refs = REF_RE.findall(doc.read_text())
    problems = []
    for rel, name in refs:
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}:{name}: no file {rel}")
        elif not defines(path, name):
            problems.append(f"{rel}:{name}: {rel} defines no {name}")
    return refs, problems


def main(argv):
    root = Path(argv[1]).resolve()
    doc = Path(argv[2]) if len(argv) > 2 else root / "docs" / "walkthrough.md"
    if not doc.is_file():
        print(f"check_walkthrough: no {doc}")
        return 1
    refs, problems = check(root, doc)
    for p in problems:
        print(p)
    if not refs:
        print(f"check_walkthrough: {doc} names no `file:function`")
        return 1
    if problems:
        print(f"check_walkthrough: {len(problems)} of {len(refs)} names are wrong")
        return 1
    print(f"check_walkthrough: all {len(refs)} `file:function` names exist")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
