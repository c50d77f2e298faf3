#!/usr/bin/env python3
"""Builds the Open POSIX Test Suite's conformance tests of the interfaces
listed in interfaces.txt with aion-cc, as the suite's own Makefile would
(its include/ and LDFLAGS' -D_GNU_SOURCE; no -l flags: musl's libc.a has
pthread and rt in it). Usage: build.py PTS_DIR AION_CC SYSROOT POSIXLIB
INTERFACES OUTDIR. Writes OUTDIR/IFACE/TEST for each test that builds and
OUTDIR/index.txt (and OUTDIR/ci.txt, the same for the interfaces marked
`ci` in INTERFACES: the subset the suite's posix-pts runs), one line a test: `IFACE/TEST built`, `IFACE/TEST
buildonly` (a -buildonly test: building is its verdict), or `IFACE/TEST
build-failed: first error line`. Shell tests (.sh) are listed as `script`
(they need a shell on the node). Other .c files (testfrmw.c,
threads_scenarii.c) are parts the tests #include, not tests. Exits 0 when it wrote the index: a test
that does not build is a result (docs/posix.md lists them), not an
error of the build. bench/pts-host runs it with the host's musl-gcc
(SYSROOT and POSIXLIB then unused) for the reference."""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


MARKS = {"ci"}


def interfaces(path):
    """(name, its marks) for each line `NAME [ci]`."""
    for ln in Path(path).read_text().splitlines():
        words = ln.split("#")[0].split()
        if words:
            marks = set(words[1:])
            if not marks <= MARKS:
                sys.exit(f"build.py: {ln!r}: the one mark is `ci`")
            yield words[0], marks


def build(pts, cc, sysroot, lib, src, out):
    out.parent.mkdir(parents=True, exist_ok=True)
    # -s: stripped, as the initramfs's programs are (vfsd's quota holds the tree).
    p = subprocess.run([cc, sysroot, lib, "-O1", "-w", "-s", "-D_GNU_SOURCE",
                        "-I", str(pts / "include"), str(src), "-o", str(out)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=300, check=False)
    if p.returncode == 0:
        return "buildonly" if "buildonly" in src.name else "built"
    errs = [ln for ln in p.stdout.splitlines() if "error" in ln] or p.stdout.splitlines() or ["?"]
    return "build-failed: " + errs[0].split(str(pts) + "/")[-1][:200]


def main():
    pts, cc, sysroot, lib, ifaces, outdir = (Path(a) for a in sys.argv[1:7])
    # A fresh tree: the PTS ISO takes all of it (deploy/pts), so tests of
    # an interface no longer listed must not stay behind.
    shutil.rmtree(outdir, ignore_errors=True)
    jobs = []
    lines = []
    ci = set()
    for iface, marks in interfaces(ifaces):
        if "ci" in marks:
            ci.add(iface)
        d = pts / "conformance" / "interfaces" / iface
        if not d.is_dir():
            sys.exit(f"build.py: no interface {iface} in {pts}")
        for f in sorted(d.iterdir()):
            if f.suffix == ".sh":
                lines.append((f"{iface}/{f.stem}", "script"))
            elif f.suffix == ".c" and re.fullmatch(r"\d+-(\d+|core-buildonly|buildonly)", f.stem):
                jobs.append((f"{iface}/{f.stem}", f, outdir / iface / f.stem))
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        done = ex.map(lambda j: (j[0], build(pts, cc, sysroot, lib, j[1], j[2])), jobs)
        lines += list(done)
    lines.sort()
    (outdir / "index.txt").write_text("".join(f"{n} {v}\n" for n, v in lines))
    (outdir / "ci.txt").write_text("".join(f"{n} {v}\n" for n, v in lines
                                           if n.split("/")[0] in ci))
    count = {}
    for _, v in lines:
        k = v.split(":")[0]
        count[k] = count.get(k, 0) + 1
    print(f"pts: {len(lines)} tests: " + ", ".join(f"{k} {n}" for k, n in sorted(count.items())))


if __name__ == "__main__":
    main()
