#!/usr/bin/env python3
"""data-net: one file tree across the cluster (issue 18, Done when 3;
docs/fs.md "/net").

Three nodes; node 2's disk is made with a 10 MiB file of seeded random
bytes (mke2fs -d, as `up --data` does). On node 1, busybox:
- `cp /net/2/data/x /data/x`: node 2's file through its vfsd and ext2d,
  reached through meshd, written to node 1's own disk; md5sum of both
  must be the host's;
- /bin/netfs rights (tests/posix/netfs.c): with its tree restricted to
  reading, every change below /net/2/data is EACCES (in a forked child
  too; asking the rights back gives none) and reading still works; with
  no rights, reading is EACCES as well; nothing it tried is on node 2;
- /bin/netfs hold: a file of node 2 held open and read every 20 ms; node 2
  is killed (SIGKILL of its QEMU) and the next read must fail with EIO
  within the detection time (limit DETECT_LIMIT_S, several times the
  measured 0.3 s), a new open must fail too, and node 1's shell, its own
  /data and node 3's tree must still answer.
Usage: cluster_netfs.py ISO"""
import hashlib
import random
import re
import tempfile
import time
from pathlib import Path

import clusterlib
from clusterlib import ac, check

SEED = 18
SIZE = 10 << 20
STEP_S = 120
COPY_S = 900            # 10 MiB in 512-byte remote calls: minutes on a loaded host
DETECT_LIMIT_S = 10.0   # measured: the mesh declares a killed node dead in ~0.3 s
NAMES_RE = r"vfsd: mesh names registered"


def sh(node, command, timeout=STEP_S):
    out = []
    status = ac.sh_exec(node, command, timeout=timeout, out=out.append)
    check(status == 0, f"`{command}` exited {status}: {out[-8:]}")
    return out


def md5_of(lines, path):
    for line in lines:
        m = re.fullmatch(r"([0-9a-f]{32})\s+(\S+)", line.strip())
        if m and m.group(2) == path:
            return m.group(1)
    return None


def to_shell(node):
    node.wait_for(r"serial: ready", STEP_S)
    check(ac.shell_exec(node, "sh", timeout=STEP_S, out=lambda _l: None) == 0, "`sh` failed")
    node.wait_for(r"serial: \$ ?\r?$", STEP_S)


def copy(node, want):
    t0 = time.monotonic()
    sh(node, "cp /net/2/data/x /data/x", timeout=COPY_S)
    seconds = time.monotonic() - t0
    out = sh(node, "md5sum /data/x /net/2/data/x")
    for path in ("/data/x", "/net/2/data/x"):
        check(md5_of(out, path) == want, f"{path}: md5 {md5_of(out, path)}, the host's {want}")
    print(f"copy: {SIZE} bytes from /net/2/data/x in {seconds:.1f} s "
          f"({SIZE / seconds / 1024:.0f} KiB/s), md5 {want} on both")


def rights(node):
    out = []
    status = ac.sh_exec(node, "/bin/netfs rights /net/2/data /net/2/data/small",
                        timeout=STEP_S, out=out.append)
    print(*out, sep="\n")
    check(status == 0 and any("netfs: rights ok" in ln for ln in out),
          f"netfs rights exited {status}")
    listing = sh(node, "ls /net/2/data")
    check(not any("netfs-" in ln for ln in listing), f"node 2 was changed: {listing}")
    check(any("small" in ln for ln in listing), f"node 2's /data lost a file: {listing}")


def death(nodes):
    node1, node2 = nodes[0], nodes[1]
    killed = {}
    out = []

    def line(text):
        out.append((time.monotonic(), text))
        if "netfs: holding" in text and not killed:
            killed["pid"] = node2.kill()
            killed["t"] = time.monotonic()

    status = ac.sh_exec(node1, "/bin/netfs hold /net/2/data/small", timeout=STEP_S, out=line)
    print(*(t for _s, t in out), sep="\n")
    check(killed.get("pid"), "node 2 was not killed (no 'holding' line)")
    failed = [(s, t) for s, t in out if "netfs: read failed" in t]
    check(failed, "no read failed after node 2 was killed")
    after = failed[0][0] - killed["t"]
    check("errno=EIO" in failed[0][1], f"the read failed with another error: {failed[0][1]}")
    check(after < DETECT_LIMIT_S, f"the read failed {after:.1f} s after the kill "
          f"(limit {DETECT_LIMIT_S} s)")
    check(status == 0, f"netfs hold exited {status} (the open after the death: "
          f"{[t for _s, t in out if 'open again' in t]})")
    print(f"death: the held file's read failed with EIO {after * 1000:.0f} ms after the kill")
    t0 = time.monotonic()
    out = []
    ac.sh_exec(node1, "ls /net/2/data", timeout=STEP_S, out=out.append)
    print(f"death: `ls /net/2/data` answered in {time.monotonic() - t0:.1f} s: {out[-2:]}")
    sh(node1, "md5sum /data/x")
    sh(node1, "ls /net/3/data")
    print("death: node 1's /data and node 3's tree still answer")


def test(iso):
    rng = random.Random(SEED)
    data = rng.randbytes(SIZE)
    want = hashlib.md5(data).hexdigest()
    with tempfile.TemporaryDirectory(prefix="aion-netfs-data-") as tmp:
        Path(tmp, "x").write_bytes(data)
        Path(tmp, "small").write_text("a file of node 2\n")
        with clusterlib.cluster(iso, [[]] * 3, prefix="aion-netfs-", wait_mesh=True,
                                node_data={2: tmp}) as nodes:
            for n in nodes:
                n.wait_for(NAMES_RE, STEP_S)
            to_shell(nodes[0])
            copy(nodes[0], want)
            rights(nodes[0])
            death(nodes)


if __name__ == "__main__":
    clusterlib.main(test)
