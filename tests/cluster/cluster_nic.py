#!/usr/bin/env python3
"""nic-frames: two nodes booted from the same ISO on one VDE switch. Each
node's virtio-net driver (a unit holding only its device's ports and IRQ)
broadcasts 20 frames; each node must receive the other's (the driver's own
interrupt path). Then the driver of node 2 is killed from its shell: init
restarts it and node 1 hears node 2 again, with no reboot.
Usage: cluster_nic.py ISO"""
import re

from clusterlib import ac, check, cluster, main

TIMEOUT_S = 60


def heard(node, other_mac, pos=0):
    return re.search(rf"virtio-net: rx from={other_mac} text=AION node=\d+ seq=(\d+)",
                     node.text[pos:])


def test(iso):
    with cluster(iso, [["aion.nicselftest"]] * 2, "aion-nic-") as nodes:
        ac.wait_all(nodes, r"kernel: ready", TIMEOUT_S)
        n1, n2 = nodes
        for a, b in ((n1, n2), (n2, n1)):
            a.wait_for(rf"virtio-net: rx from={b.mac} ", TIMEOUT_S)
            a.wait_for(r"virtio-net: selftest done sent=20 received=(\d+)", TIMEOUT_S)
        for n in nodes:
            got = int(re.search(r"selftest done sent=20 received=(\d+)", n.text).group(1))
            print(f"{n.name}: received {got} of the other node's 20 frames")
            check(got >= 10, f"{n.name} received only {got} frames")

        # Kill node 2's driver: init restarts it, node 1 hears node 2 again.
        mark = len(n1.text)
        status = ac.shell_exec(n2, "kill virtio-net", timeout=20)
        check(status == 0, f"kill virtio-net on node2 exited {status}")
        n2.wait_for(r"init: service start name=virtio-net restarts=1", 20)
        n1.wait_for(rf"virtio-net: rx from={n2.mac} text=AION node=2 seq=0", 30, pos=mark)
        print("node2's driver was killed, restarted by init, and node1 hears it again")


if __name__ == "__main__":
    main(test)
