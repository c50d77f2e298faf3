#!/usr/bin/env python3
"""mesh-bulk: remote calls with payloads up to 64 KiB (docs/mesh-bulk.md,
issue 15). Two nodes (space/meshtest):
  node 1: local-echo ("echo-1"), bulk-client
  node 2: echo
bulk-client calls "echo-1" (a direct call on this node) and "echo" (node 2,
through both meshds: bulk transfers) with 400 B (above a packet's
MESH_CALL_DATA_MAX, inline in IPC), 4 KiB and 64 KiB (memory objects);
the service echoes the bytes and says their checksum, and the client
checks both. Then 64 KiB + 1 bytes to "echo": refused before anything is
sent, AION_ERANGE. Checks:
 - every call came back intact (local and remote);
 - 64 KiB + 1 gave AION_ERANGE and node 2's echo never ran it: it logged
   exactly the three calls it served (400, 4096, 65536 bytes) with the
   checksums the client computed;
 - `mesh stats` counts the transfers: node 2 delivered the 3 calls, node
   1 the 3 replies, and no malformed fragment.
Usage: cluster_mesh_bulk.py ISO"""
import re
import time

from clusterlib import ac, check, cluster, main

CALLS_TIMEOUT_S = 120
SIZES = ["400", "4096", "65536"]


def bulk_stats(node):
    lines = []
    check(ac.shell_exec(node, "mesh stats", timeout=20, out=lines.append) == 0,
          f"{node.name}: mesh stats failed: {lines}")
    text = " ".join(line for line in lines if "bulk_" in line)
    return {k: int(v) for k, v in re.findall(r"(bulk_\w+)=(\d+)", text)}


def served(node, name):
    return re.findall(rf"meshtest: {name} bulk served len=(-?\d+) sum=(\w+)", node.complete())


def test(iso):
    words = [["aion.meshtest=local-echo,bulk-client"], ["aion.meshtest=echo"]]
    with cluster(iso, words, "aion-mesh-bulk-", wait_mesh=True) as nodes:
        n1, n2 = nodes
        line = n1.wait_for(r"meshtest: bulk-client (.*)", CALLS_TIMEOUT_S)
        print(f"node1: {line.group(0)}")
        got = dict(re.findall(r"(\w+)=(\S+)", line.group(1)))
        for where in ("local", "remote"):
            for size in SIZES:
                key = f"{where}_{size}"
                check(got.get(key) == "ok", f"{key}: {got.get(key)} ({line.group(0)})")
        check(got.get("remote_over") == "AION_ERANGE",
              f"64 KiB + 1: {got.get('remote_over')}, expected AION_ERANGE")
        time.sleep(1)   # a late call of the refused one would show now
        remote, local = served(n2, "echo"), served(n1, "echo-1")
        print(f"node2 echo served {remote}\nnode1 echo-1 served {local}")
        check([s for s, _ in remote] == SIZES,
              f"node2's echo ran {remote}: expected {SIZES} once each (not 64 KiB + 1)")
        check([s for s, _ in local] == SIZES, f"node1's echo-1 ran {local}")
        check([c for _, c in remote] == [c for _, c in local],
              "the remote service read other bytes than the local one")
        s1, s2 = bulk_stats(n1), bulk_stats(n2)
        print(f"node1 {s1}\nnode2 {s2}")
        check(s2.get("bulk_delivered") == 3 and s2.get("bulk_sent") == 3,
              f"node2: 3 calls in, 3 replies out: {s2}")
        check(s1.get("bulk_delivered") == 3 and s1.get("bulk_sent") == 3,
              f"node1: 3 calls out, 3 replies in: {s1}")
        check(s1.get("bulk_bad") == 0 and s2.get("bulk_bad") == 0, "malformed fragments")
        check(s1.get("bulk_held") == 0 and s2.get("bulk_held") == 0,
              f"buffers still held: {s1} {s2}")


if __name__ == "__main__":
    main(test)
