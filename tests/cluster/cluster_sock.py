#!/usr/bin/env python3
"""net-sockets: two nodes booted from the same ISO run the nettest service
(space/nettest) over netd's sockets (include/aion/socket.h). Each node gets
its own kernel command line (ac.Node with per-node cmdline_extra, not
ac.cluster_nodes, which gives every node the same words):
  node 1: aion.nettest=udp-echo,tcp-sink
  node 2: aion.nettest=udp-client:10.77.0.1,tcp-source,tcp-refused
(a client role without :ADDR takes the address of the role before it; init
passes at most 63 characters of the value). Checks: all 1000 UDP datagrams
echoed intact; 4 MiB over TCP arrive with the byte count and FNV-1a 64
the source computed; a connect to a port nobody listens on is refused.
Usage: cluster_sock.py ISO"""
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "cluster"))
import aion_cluster as ac  # noqa: E402

BOOT_TIMEOUT_S = 60
UDP_TIMEOUT_S = 120
TCP_TIMEOUT_S = 150
ADDR1 = "10.77.0.1"
ROLES = {
    1: "udp-echo,tcp-sink",
    2: f"udp-client:{ADDR1},tcp-source,tcp-refused",
}


def check(cond, message):
    if not cond:
        raise ac.NodeError(message)


def test(iso):
    runf = Path(tempfile.mkdtemp(prefix="aion-sock-", dir="/tmp"))
    switch = ac.Switch(runf)
    nodes = []
    try:
        switch.start(die_with_parent=True)
        nodes = [ac.Node(f"node{i}", runf, iso=iso, switch=switch, forward=False,
                         cmdline_extra=[f"aion.node={i}", f"aion.nettest={ROLES[i]}"])
                 for i in (1, 2)]
        for n in nodes:
            n.start(die_with_parent=True)
        ac.wait_all(nodes, r"netd: up addr=10\.77\.0\.\d+", BOOT_TIMEOUT_S)
        n1, n2 = nodes
        n1.wait_for(r"nettest: udp-echo ready port=7000", BOOT_TIMEOUT_S)
        n1.wait_for(r"nettest: tcp listening port=7001", BOOT_TIMEOUT_S)

        m = n2.wait_for(r"nettest: udp echoed=(\d+) of 1000 mismatches=(\d+) "
                        r"retries=(\d+) ms=(\d+)", UDP_TIMEOUT_S)
        print(m.group(0))
        check(m.group(1) == "1000" and m.group(2) == "0",
              f"udp: {m.group(1)} of 1000 echoed, {m.group(2)} mismatches")

        sent = n2.wait_for(r"nettest: tcp sent bytes=(\d+) fnv=(0x[0-9a-f]+) ms=(\d+)",
                           TCP_TIMEOUT_S, pos=m.end())
        print(sent.group(0))
        check(sent.group(1) == "4194304", f"tcp sent {sent.group(1)} bytes")
        got = n1.wait_for(r"nettest: tcp received bytes=(\d+) fnv=(0x[0-9a-f]+)", 30)
        print(got.group(0))
        check(got.group(1) == "4194304", f"tcp received {got.group(1)} bytes")
        check(got.group(2) == sent.group(2),
              f"tcp fnv: received {got.group(2)}, sent {sent.group(2)}")

        ref = n2.wait_for(r"nettest: connect refused err=(\S+)", 30, pos=sent.end())
        print(ref.group(0))
        check(ref.group(1) == "AION_ECONNREFUSED", f"connect to 7999: {ref.group(1)}")

        text = n1.text + n2.text
        check("kernel: fault " not in text, "a kernel faulted")
        bad = re.search(r"nettest: .*failed err=.*", text)
        check(not bad, f"a nettest call failed: {bad and bad.group(0)}")
    finally:
        ac.stop_nodes(nodes)
        switch.stop()
        shutil.rmtree(runf, ignore_errors=True)


if __name__ == "__main__":
    ac.exit_on_signals()
    try:
        test(Path(sys.argv[1]))
    except ac.NodeError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("PASS")
