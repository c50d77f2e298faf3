#!/usr/bin/env python3
"""Shows that the rights matrix (units-rights) catches a missing rights check.

Copies the committed tree (git archive HEAD) to a temporary folder, builds it
once, then for each rights check of kernel/core/*.c in turn: removes that one
check (the right a lookup asks for becomes 0, or the check's condition
false), rebuilds, runs `meson test units-rights` and puts the check back.
A mutation is "caught" when the test fails; the script prints one line per
check and exits 1 if any was missed.

    tests/boot/mutate_rights.py [--only SUBSTRING ...] [--keep DIR]

A rights check here is: a lookup(...)/lookup_slot(...) line naming an
AION_RIGHT_, memobj.c's `need` for MEMORY_MAP, CALL's GRANT test, and the
type and rights comparisons of handle_check (handle.c). Each run takes a
kernel rebuild and one boot (about 10 s on an idle host), after a full build
of the copy (about 2 minutes).
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOOKUP = re.compile(r"\blookup(?:_slot)?\(.*\b(AION_RIGHT_[A-Z]+)\b")
# (file, exact text, replacement, what): checks that are not a lookup line.
OTHERS = [
    ("kernel/core/memobj.c", "uint32_t need = AION_RIGHT_READ |", "uint32_t need = 0 |",
     "MEMORY_MAP needs READ"),
    ("kernel/core/endpoint.c", "AION_TAG_CAPS(a->a1) && !(s->rights & AION_RIGHT_GRANT)",
     "AION_TAG_CAPS(a->a1) && 0", "CALL with capabilities needs GRANT"),
    ("kernel/core/handle.c", "if (s->obj->type != type)", "if (0 && s->obj->type != type)",
     "handle_check: the type"),
    ("kernel/core/handle.c", "if ((s->rights & need) != need)",
     "if (0 && (s->rights & need) != need)",
     "handle_check: the rights"),
]


def mutations(tree):
    """(file, line number, old line, new line, what) for every rights check."""
    out = []
    for path in sorted((tree / "kernel" / "core").glob("*.c")):
        rel = str(path.relative_to(tree))
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = LOOKUP.search(line)
            if m:
                new = line[:m.start(1)] + "0" + line[m.end(1):]
                out.append((rel, n, line, new, line.strip()))
    for rel, old, new, what in OTHERS:
        lines = (tree / rel).read_text().splitlines()
        hits = [n for n, line in enumerate(lines, 1) if old in line]
        if len(hits) != 1:
            sys.exit(f"mutate_rights: {rel}: '{old}' found {len(hits)} times, expected once")
        line = lines[hits[0] - 1]
        out.append((rel, hits[0], line, line.replace(old, new), what))
    return out


def run(cmd, cwd, log):
    return subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT).returncode


def first_failure(tree):
    """The test's FAIL line from the copy's meson log, or ''."""
    log = tree / "build" / "meson-logs" / "testlog.txt"
    text = log.read_text(errors="replace") if log.exists() else ""
    m = re.search(r"utest: test rights FAIL (.*)", text)
    return m.group(1).strip() if m else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=[],
                    help="run only the checks whose file:line or text contains one of these")
    ap.add_argument("--keep", help="build the copy here and leave it (default: a temp dir)")
    args = ap.parse_args()

    tree = Path(args.keep or tempfile.mkdtemp(prefix="aion-mutate-"))
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    third = tree / "third_party"
    if not third.exists():
        third.symlink_to((ROOT / "third_party").resolve())
    log_path = tree / "mutate.log"
    caught = missed = 0
    with open(log_path, "a") as log:
        print(f"mutate_rights: building a copy of HEAD in {tree}", flush=True)
        if run(["./scripts/lib/build"], tree, log):
            sys.exit(f"mutate_rights: the unmutated copy does not build (see {log_path})")
        if run(["meson", "test", "-C", "build", "units-rights"], tree, log):
            sys.exit(f"mutate_rights: units-rights fails without a mutation (see {log_path})")
        todo = mutations(tree)
        if args.only:
            todo = [m for m in todo
                    if any(s in f"{m[0]}:{m[1]}" or s in m[4] for s in args.only)]
        for rel, n, old, new, what in todo:
            path = tree / rel
            text = path.read_text()
            lines = text.splitlines(keepends=True)
            lines[n - 1] = lines[n - 1].replace(old, new, 1)
            path.write_text("".join(lines))
            start = time.monotonic()
            try:
                if run(["ninja", "-C", "build"], tree, log):
                    verdict = "BUILD FAILED"
                    missed += 1
                elif run(["meson", "test", "-C", "build", "units-rights"], tree, log):
                    verdict = f"caught: {first_failure(tree) or 'the test failed'}"
                    caught += 1
                else:
                    verdict = "MISSED: units-rights passed"
                    missed += 1
            finally:
                path.write_text(text)
            print(f"{rel}:{n} [{what}] -> {verdict} ({time.monotonic() - start:.0f} s)",
                  flush=True)
        run(["ninja", "-C", "build"], tree, log)
    print(f"mutate_rights: {caught} caught, {missed} missed of {caught + missed}")
    if not args.keep:
        shutil.rmtree(tree, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
