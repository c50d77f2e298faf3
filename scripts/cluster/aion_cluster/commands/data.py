"""The data file system of a stopped node's disk, through the host's
e2fsprogs (docs/storage.md "The data file system"): list a folder, copy a
file out or in, check it. The node must not be running (its own server
may hold the file system open: two writers would corrupt it).

Usage: data NODE ls [PATH]          list PATH (default /)
       data NODE get PATH LOCAL     copy the file PATH out to LOCAL
       data NODE put LOCAL PATH     copy LOCAL in as PATH (replaced if there)
       data NODE fsck               e2fsck -fn: exit 0 when clean
"""
import sys

import aion_cluster as ac
from aion_cluster import datafs

ARGS = {"ls": (0, 1), "get": (2, 2), "put": (2, 2), "fsck": (0, 0)}


def main():
    argv = sys.argv[1:]
    if len(argv) < 2 or argv[1] not in ARGS or not \
            ARGS[argv[1]][0] <= len(argv) - 2 <= ARGS[argv[1]][1]:
        sys.exit(__doc__.strip())
    node = ac.find_node(ac.run_dir(), argv[0])
    op, rest = argv[1], argv[2:]
    if node.alive():
        sys.exit(f"data: {node.name} is running: `scripts/cluster/stop {node.name}` first")
    node.check_disk()
    disk = node.disk_file
    try:
        if op == "ls":
            print(datafs.debugfs(disk, f"ls -l {rest[0] if rest else '/'}"), end="")
        elif op == "get":
            datafs.debugfs(disk, f"dump {rest[0]} {rest[1]}")
            print(f"data: {node.name}:{rest[0]} -> {rest[1]}")
        elif op == "put":
            if _exists(disk, rest[1]):
                datafs.debugfs(disk, f"rm {rest[1]}", write=True)
            datafs.debugfs(disk, f"write {rest[0]} {rest[1]}", write=True)
            print(f"data: {rest[0]} -> {node.name}:{rest[1]}")
        else:
            clean, report = datafs.fsck(disk)
            print(report)
            sys.exit(0 if clean else 1)
    except RuntimeError as e:
        sys.exit(f"data: {node.name}: {e}")


def _exists(disk, path):
    try:
        datafs.debugfs(disk, f"stat {path}")
        return True
    except RuntimeError:
        return False
