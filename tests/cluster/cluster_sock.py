#!/usr/bin/env python3
"""net-sockets: two nodes booted from the same ISO run the nettest service
(space/nettest) over netd's sockets (include/aion/socket.h). Each node gets
its own kernel command line (ac.Node with per-node cmdline_extra, not
ac.cluster_nodes, which gives every node the same words):
  node 1: aion.nettest=udp-echo,tcp-sink
  node 2: aion.nettest=udp-client:10.77.0.1,tcp-hold,tcp-refused,ring-revoke
(a client role without :ADDR takes the address of the role before it; init
passes at most 63 characters of the value). Checks: all 1000 UDP datagrams
echoed intact; 4 MiB over TCP arrive with the byte count and FNV-1a 64
the source computed (through stream areas, SOCK_STREAM_AREA; the source
stops 5 s half way, so that a kill lands mid-transfer); a connect
to a port nobody listens on is refused; a unit that revokes its copy of
its socket rings' memory object still has its datagram echoed through
them, and netd (which made the object) runs on.
Usage: cluster_sock.py ISO"""
import re

from clusterlib import ac, check, cluster, main

BOOT_TIMEOUT_S = 60
UDP_TIMEOUT_S = 120
TCP_TIMEOUT_S = 150
KILL_TRIES = 5
ADDR1 = "10.77.0.1"
ROLES = {
    1: "udp-echo,tcp-sink",
    2: f"udp-client:{ADDR1},tcp-hold,tcp-refused,ring-revoke",
}


def test(iso):
    with cluster(iso, [[f"aion.nettest={ROLES[i]}"] for i in (1, 2)], "aion-sock-") as nodes:
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

        rev = n2.wait_for(r"nettest: ring-revoke (echoed bytes=64 revoke=OK|failed err=\S+)",
                          30, pos=ref.end())
        print(rev.group(0))
        check(rev.group(1).startswith("echoed"), f"ring-revoke: {rev.group(1)}")
        again = re.search(r"init: service start name=netd restarts=[1-9]", n2.text)
        check(not again, f"node2's netd was restarted: {again and again.group(0)}")

        bad = re.search(r"nettest: .*failed err=.*", n1.text + n2.text)
        check(not bad, f"a nettest call failed: {bad and bad.group(0)}")

        # Kill node 2's nettest while it sends: netd and the peer go on. The
        # kill goes in when the restarted nettest's tcp-hold stops half way
        # for 5 s; a host so slow that the shell's kill takes longer gets
        # the kill tried again, up to KILL_TRIES times.
        mark1, mark2 = len(n1.text), len(n2.text)
        check(ac.shell_exec(n2, "kill nettest", timeout=20) == 0, "kill nettest on node2")
        cut, restarts = None, 1
        for attempt in range(KILL_TRIES):
            started = n2.wait_for(rf"init: service start name=nettest restarts={restarts}\b",
                                  20, pos=mark2)
            again = n2.wait_for(r"nettest: tcp-source holding after bytes=\d+",
                                UDP_TIMEOUT_S + TCP_TIMEOUT_S, pos=started.end())
            ac.shell_exec(n2, "kill nettest", timeout=20)  # half its bytes are sent
            seen = n1.wait_for(r"nettest: (tcp-sink recv failed err=\S+ after bytes=(\d+)"
                               r"|tcp received bytes=(\d+))", 60, pos=mark1)
            print(f"kill {attempt + 1}: node1 saw: {seen.group(1)}")
            mark1, mark2, restarts = seen.end(), again.end(), restarts + 1
            if seen.group(2) is not None and int(seen.group(2)) < 4194304:
                cut = seen
                break
        check(cut is not None, f"no kill of {KILL_TRIES} landed mid-transfer")
        print(f"node2's nettest killed mid-transfer; node1 saw: {cut.group(1)}")
        # Killed while sleeping, not in a call: netd ends the connection once
        # no copy of the socket's capability is left (a reset within a
        # second or so), not when the sink's 30 s idle timeout runs out.
        check("err=AION_ECONNRESET" in cut.group(1), f"the cut was not a reset: {cut.group(1)}")
        n2.wait_for(r"netd: sock close sock=\d+: no copy of its capability is left", 10,
                    pos=mark2)
        n2.wait_for(rf"init: service start name=nettest restarts={restarts}\b", 20, pos=mark2)
        full = n1.wait_for(r"nettest: tcp received bytes=4194304 fnv=(0x[0-9a-f]+)",
                           TCP_TIMEOUT_S, pos=cut.end())
        check(full.group(1) == sent.group(2),
              "the transfer after the restart did not match the first")
        print("after the restart a full 4 MiB transfer arrived: netd and the peer went on")


if __name__ == "__main__":
    main(test)
