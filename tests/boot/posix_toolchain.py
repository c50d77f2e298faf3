#!/usr/bin/env python3
"""posix-toolchain: the users' toolchain of issue 17 builds a program the
way a user would, outside the repository: scripts/aion-cc directly, and a
Meson project with the cross file the build writes. Usage:
posix_toolchain.py REPO CROSSFILE. Each result must be a static x86_64
ELF with no interpreter, entered at the POSIX layer's start
(__aion_posix_start) and linked at 4 MiB (space/posix/posix.ld), with
musl's main-caller and no undefined symbol: what the ELF loader of a node
takes (docs/posix.md "Building your own programs")."""
import subprocess
import sys
import tempfile
from pathlib import Path

HELLO = r'''#include <stdio.h>
int main(int argc, char **argv)
{
	printf("hello from %s, %d args\n", argv[0], argc);
	return 0;
}
'''
MESON = "project('uhello', 'c')\nexecutable('hello', 'hello.c')\n"


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600, check=False)
    if p.returncode:
        sys.exit(f"FAIL: {' '.join(map(str, argv))} exited {p.returncode}:\n{p.stdout}")
    return p.stdout


def check_elf(path, cwd):
    hdr = run(["readelf", "-h", "-l", path], cwd)
    syms = run(["nm", path], cwd)
    entry = [ln.split()[-1] for ln in hdr.splitlines() if "Entry point" in ln][0]
    start = [ln.split()[0] for ln in syms.splitlines() if ln.endswith(" __aion_posix_start")]
    undef = [ln for ln in syms.splitlines() if ln.split()[0] == "U"]
    bad = []
    if "EXEC (Executable file)" not in hdr:
        bad.append("not a static executable (ET_EXEC)")
    if "Advanced Micro Devices X86-64" not in hdr:
        bad.append("not x86_64")
    if "INTERP" in hdr:
        bad.append("has a program interpreter")
    if not start or int(start[0], 16) != int(entry, 16):
        bad.append(f"entry {entry} is not __aion_posix_start ({start})")
    if not any(ln.split()[-1] == "main" for ln in syms.splitlines()):
        bad.append("no main")
    if undef:
        bad.append(f"undefined symbols {undef}")
    if b"GLIBC" in Path(cwd, path).read_bytes():
        bad.append("glibc code linked in")
    if int(entry, 16) < 0x400000:
        bad.append(f"entry {entry} below 4 MiB")
    print(f"{path}: entry {entry}, {'OK' if not bad else 'BAD: ' + '; '.join(bad)}")
    return bad


def main():
    repo, cross = Path(sys.argv[1]), Path(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="aion-toolchain-") as d:
        (Path(d) / "hello.c").write_text(HELLO)
        (Path(d) / "meson.build").write_text(MESON)
        # -lm -lpthread -lrt, as Makefiles pass them: musl's (in libc.a),
        # never the host's glibc archives.
        run([repo / "scripts" / "aion-cc", "-O2", "-Wall", "-Werror", "hello.c", "-o", "hello",
             "-lm", "-lpthread", "-lrt"], d)
        run([repo / "scripts" / "aion-cc", "-c", "hello.c", "-o", "hello.o"], d)
        run(["meson", "setup", "b", "--cross-file", cross], d)
        run(["ninja", "-C", "b"], d)
        bad = check_elf("hello", d) + check_elf("b/hello", d)
    if bad:
        sys.exit("FAIL: " + "; ".join(bad))
    print("PASS: aion-cc and the Meson cross file each built a program a node can load")


if __name__ == "__main__":
    main()
