#!/usr/bin/env python3
"""nic-frames: two nodes booted from the same ISO on one VDE switch. Each
node's virtio-net driver (a unit holding only its device's ports and IRQ)
broadcasts 20 frames; each node must receive the other's (the driver's own
interrupt path). Then the driver of node 2 is killed from its shell: init
restarts it and node 1 hears node 2 again, with no reboot.
Usage: cluster_nic.py ISO"""
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "cluster"))
import aion_cluster as ac  # noqa: E402

TIMEOUT_S = 60


def check(cond, message):
    if not cond:
        raise ac.NodeError(message)


def heard(node, other_mac, pos=0):
    return re.search(rf"virtio-net: rx from={other_mac} text=AION node=\d+ seq=(\d+)",
                     node.text[pos:])


def test(iso):
    run = Path(tempfile.mkdtemp(prefix="aion-nic-", dir="/tmp"))
    switch = ac.Switch(run)
    nodes = []
    try:
        switch.start(die_with_parent=True)
        nodes = ac.cluster_nodes(run, 2, switch, forward=False, iso=iso,
                                 extra_words=["aion.nicselftest"])
        for n in nodes:
            n.start(die_with_parent=True)
        ac.wait_all(nodes, r"kernel: ready", TIMEOUT_S)
        n1, n2 = nodes
        for a, b in ((n1, n2), (n2, n1)):
            a.wait_for(rf"virtio-net: rx from={b.mac} ", TIMEOUT_S)
            a.wait_for(r"virtio-net: selftest done sent=20 received=(\d+)", TIMEOUT_S)
        for n in nodes:
            got = int(re.search(r"selftest done sent=20 received=(\d+)", n.text).group(1))
            print(f"{n.name}: received {got} of the other node's 20 frames")
            check(got >= 10, f"{n.name} received only {got} frames")
        check("kernel: fault " not in n1.text + n2.text, "a kernel faulted")

        # Kill node 2's driver: init restarts it, node 1 hears node 2 again.
        mark = len(n1.text)
        status = ac.shell_exec(n2, "kill virtio-net", timeout=20)
        check(status == 0, f"kill virtio-net on node2 exited {status}")
        n2.wait_for(r"init: service start name=virtio-net restarts=1", 20)
        n1.wait_for(rf"virtio-net: rx from={n2.mac} text=AION node=2 seq=0", 30, pos=mark)
        print("node2's driver was killed, restarted by init, and node1 hears it again")
    finally:
        ac.stop_nodes(nodes)
        switch.stop()
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    ac.exit_on_signals()
    try:
        test(Path(sys.argv[1]))
    except ac.NodeError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("PASS")
