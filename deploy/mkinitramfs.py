#!/usr/bin/env python3
"""Writes the initramfs, a newc cpio archive vfsd unpacks into its ramfs
root at start (docs/fs.md).

usage: mkinitramfs.py OUT TREE [DEST=DIR...] PROGRAM...

TREE's files go in under their paths relative to TREE (mode 0644, or
0755 when the file is executable: the PTS ISO's built tests; their
folders 0755), and each DIR's under DEST (share/lua=tests/posix/lua: the
differential test's Lua scripts); each PROGRAM goes in as
/bin/<its file name> (0755); /tmp
and /dev/shm (shm_open's folder: musl opens /dev/shm/NAME) are there,
empty, mode 1777. The archive is the same bytes for the same
inputs: entries sorted, folders before what they hold, times and owners 0.
Standard library only."""
import os
import sys


def entry(ino, name, mode, data=b""):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    head = b"070701" + b"".join(b"%08x" % f for f in fields)
    out = head + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    return out + b"\0" * (-len(out) % 4)


def main():
    out, tree, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    trees = [(".", tree)] + [tuple(a.split("=", 1)) for a in rest if "=" in a]
    programs = [a for a in rest if "=" not in a]
    dirs = {".": 0o755, "bin": 0o755, "tmp": 0o1777, "dev": 0o755, "dev/shm": 0o1777}
    files = {}
    for dest, top in trees:
        for root, _, names in os.walk(top):
            rel = os.path.relpath(root, top)
            for name in names:
                path = os.path.normpath(os.path.join(dest, rel, name))
                src = os.path.join(root, name)
                mode = 0o755 if os.stat(src).st_mode & 0o111 else 0o644
                with open(src, "rb") as f:
                    files[path] = (mode, f.read())
    for path in list(files):
        parent = os.path.dirname(path)
        while parent and parent not in dirs:
            dirs[parent] = 0o755
            parent = os.path.dirname(parent)
    for prog in programs:
        with open(prog, "rb") as f:
            files["bin/" + os.path.basename(prog)] = (0o755, f.read())
    archive, ino = b"", 1
    for path in sorted(dirs, key=lambda p: (p.count("/") if p != "." else -1, p)):
        archive += entry(ino, path, 0o040000 | dirs[path])
        ino += 1
    for path in sorted(files):
        mode, data = files[path]
        archive += entry(ino, path, 0o100000 | mode, data)
        ino += 1
    archive += entry(0, "TRAILER!!!", 0)
    archive += b"\0" * (-len(archive) % 512)
    with open(out, "wb") as f:
        f.write(archive)


if __name__ == "__main__":
    main()
