#!/usr/bin/env python3
"""mesh-replay: whoever records the switch's frames can replay them, in
order or shuffled, and none is taken (docs/mesh-transport.md). Three nodes
on one hub (every frame reaches every port); the host plugs into it
(aion_cluster.vdeplug: vde_switch's plug protocol over unix sockets, no
host interface) and records every frame while node 1 calls node 2's
"echo" (meshtest echo-counted, which logs each call it serves) and
membership, Raft and load traffic run. After the calls completed:
 - every recorded mesh frame is sent again, in order, then shuffled;
 - node 1's meshd is killed (init starts it again: a new boot), then
   everything is sent again; then node 1's VM is killed and started
   again, and everything is sent again;
 - node 3's VM is killed; once nodes 1 and 2 see it dead, everything is
   sent again.
Each time, on each node, `mesh stats` replayed rises by exactly the number
of recorded frames that reached its meshd (to its address, or broadcast
by another node), and not_ours by the broadcasts it had sent itself: not
one frame taken. Node 2 served each call exactly once; node 3 stays dead
in every view. And a flood of packets with a bad MAC at node 2 from an
address no node has is counted (bad_mac, rate_limited), mostly dropped
before the HMAC, and membership stays healthy.
Usage: cluster_replay.py ISO"""
import random
import re
import struct
import time

from clusterlib import READY_TIMEOUT_S, ac, check, cluster, main, shell, wait_states
from aion_cluster.vdeplug import Plug, udp_frame, udp_of

MESH_PORT = 7946                # aion/mesh.h
CALLS = 6
RECORD_S = 6.0
PACE_S = 0.004                  # between replayed frames: netd's queue is short
TRIES = 3                       # passes, when netd itself lost datagrams
SETTLE_S = 3.0
FLOOD = 2500
# About 250 a second for 10 s. At 600 a second (0.5 ms here) netd's socket
# queue overflows under TCG and a node is declared dead: the packets netd
# drops are the node's own too (docs/mesh-transport.md).
FLOOD_PACE_S = 0.002
BAD_BURST, BAD_RATE = 32, 16    # mesh/meshd/link.c
STRANGER = 200                  # 10.77.0.200: no node's address


def stats(node):
    status, lines = shell(node, "mesh stats")
    check(status == 0, f"{node.name}: mesh stats: {lines}")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", " ".join(lines))}


def netd_drops(node):
    """Datagrams netd dropped so far (NIC ring and full socket queues)."""
    status, lines = shell(node, "net")
    m = re.search(r"rx_dropped=(\d+) .*udp_dropped=(\d+)", " ".join(lines))
    check(status == 0 and m, f"{node.name}: net: {lines}")
    return int(m.group(1)) + int(m.group(2))


def served(node):
    return len(re.findall(r"meshtest: echo served n=\d+", node.text))


def mesh_frames(frames):
    """The recorded frames that carry a mesh packet: (frame, src ip, dst ip)."""
    out = []
    for f in frames:
        u = udp_of(f)
        if u and u[3] == MESH_PORT and u[4][:2] == b"AM":
            out.append((f, u[0], u[1]))
    return out


def expected(frames, node):
    """(replayed, not_ours) that replaying frames must add on node."""
    me = ac.mesh_addr(node.number)
    to_me = sum(1 for _f, s, d in frames if d == me or (d == "10.77.0.255" and s != me))
    mine = sum(1 for _f, s, d in frames if d == "10.77.0.255" and s == me)
    return to_me, mine


def replay_once(plug, frames, nodes, what):
    """Send frames (in the order given); per node (replayed added, expected,
    not_ours added, own broadcasts, datagrams netd dropped meanwhile)."""
    before = {n.name: (stats(n), netd_drops(n)) for n in nodes}
    t0 = time.monotonic()
    for f, _s, _d in frames:
        plug.send(f)
        time.sleep(PACE_S)
    sent_s = time.monotonic() - t0
    time.sleep(SETTLE_S)
    out = {}
    for n in nodes:
        after, drops = stats(n), netd_drops(n)
        b, bdrops = before[n.name]
        got = after["replayed"] - b["replayed"]
        other = after["not_ours"] - b["not_ours"]
        want, mine = expected(frames, n)
        out[n.name] = (got, want, other, mine, drops - bdrops)
        print(f"{what}: {n.name}: {len(frames)} frames sent in {sent_s:.1f} s, replayed +{got} "
              f"(expected {want}), not_ours +{other} (own broadcasts {mine}), bad_mac "
              f"+{after['bad_mac'] - b['bad_mac']}, netd dropped +{drops - bdrops}")
    return out


def replay(plug, frames, nodes, what):
    """Replay frames; each node must count every one that reached it as
    replayed (and its own broadcasts as not_ours): none taken. A shortfall
    is a failure, unless netd itself dropped datagrams during that pass
    (its queue of 16 overflows while meshd waits for its disk): then the
    pass is run again, TRIES times at most; a pass in which netd lost
    nothing must add up exactly."""
    for attempt in range(1, TRIES + 1):
        res = replay_once(plug, frames, nodes, what if attempt == 1 else f"{what} (pass {attempt})")
        short = {k: v for k, v in res.items() if v[0] != v[1] or v[2] != v[3]}
        if not short:
            return
        for name, (got, want, other, mine, drops) in short.items():
            check(got <= want and other <= mine and 0 < (want - got) + (mine - other) <= drops,
                  f"{what}: {name} counted {got} replays (expected {want}), not_ours +{other} "
                  f"(expected {mine}), more than netd lost ({drops}): a replayed frame was taken")
    check(False, f"{what}: netd lost datagrams in each of {TRIES} passes: {short}")


def flood(plug, target, nodes):
    """FLOOD packets with a bad MAC at target from 10.77.0.STRANGER."""
    before, drops0 = stats(target), netd_drops(target)
    mark = {n.name: len(n.text) for n in nodes}
    src_mac, dst_mac = "52:54:00:00:00:%02x" % STRANGER, ac.mesh_mac(target.number)
    t0 = time.monotonic()
    for i in range(FLOOD):
        hdr = struct.pack("!2sBBBIHHIIQH", b"AM", 2, 1, 0, 0x41494F4E, STRANGER,
                          target.number, 1, 0, i + 1, 0)
        payload = hdr + random.randbytes(16)
        plug.send(udp_frame(src_mac, dst_mac, f"10.77.0.{STRANGER}",
                            ac.mesh_addr(target.number), MESH_PORT, MESH_PORT, payload, i))
        time.sleep(FLOOD_PACE_S)
    took = time.monotonic() - t0
    time.sleep(SETTLE_S)
    after, drops = stats(target), netd_drops(target) - drops0
    bad = after["bad_mac"] - before["bad_mac"]
    limited = after["rate_limited"] - before["rate_limited"]
    print(f"flood: {FLOOD} bad-MAC packets in {took:.2f} s ({FLOOD / took:.0f}/s) at "
          f"{target.name}: bad_mac +{bad} (an HMAC each), rate_limited +{limited} "
          f"(dropped before the MAC, no hash), netd dropped +{drops} (any datagram)")
    check(bad + limited + drops >= FLOOD // 2, f"only {bad + limited + drops} of {FLOOD} reached "
          f"{target.name}'s netd")
    check(limited > bad, f"meshd dropped {limited} unchecked, checked {bad}")
    check(bad <= BAD_BURST + BAD_RATE * (took + SETTLE_S) + 8,
          f"{bad} HMACs for one source in {took:.1f} s: the rate limit did not hold")
    ac.wait_mesh(nodes, 20)
    for n in nodes:
        dead = re.findall(r"meshd: member node=\d+ state=dead.*", n.text[mark[n.name]:])
        check(not dead, f"{n.name}: a death during the flood: {dead}")


def test(iso):
    words = [[], ["aion.meshtest=echo-counted"], []]
    with cluster(iso, words, "aion-replay-", wait_mesh=True, hub=True) as nodes:
        n1, n2, n3 = nodes
        n2.wait_for(r"meshtest: echo ready", 60)
        plug = Plug(n1.dir.parent / "switch", n1.dir.parent / "plug.sock")
        try:
            plug.start_recording()
            t0 = time.monotonic()
            for i in range(CALLS):
                status, lines = shell(n1, f"call echo replay{i}")
                check(status == 0 and any(l.endswith(f": replay{i}") for l in lines),
                      f"call echo replay{i}: {lines}")
            time.sleep(max(0.0, RECORD_S - (time.monotonic() - t0)))
            frames = mesh_frames(plug.stop_recording())
            calls = served(n2)
            print(f"recorded {len(frames)} mesh frames in {time.monotonic() - t0:.1f} s; "
                  f"node2 served {calls} calls")
            check(calls == CALLS, f"node2 served {calls} calls, node1 made {CALLS}")
            check(len(frames) > 100, f"only {len(frames)} mesh frames recorded")

            replay(plug, frames, nodes, "in order")
            shuffled = frames[:]
            random.Random(15).shuffle(shuffled)
            replay(plug, shuffled, nodes, "shuffled")
            check(served(n2) == CALLS, f"a call ran again: node2 served {served(n2)}")

            flood(plug, n2, nodes)

            mark = len(n1.text)
            status, lines = shell(n1, "kill meshd")
            check(status == 0, f"kill meshd: {lines}")
            n1.wait_for(r"meshd: ready node=1 port=\d+ boot=\d+", 60, pos=mark)
            ac.wait_mesh(nodes, ac.MESH_TIMEOUT_S)
            time.sleep(SETTLE_S)        # the others learn its boot; stale packets end
            replay(plug, frames, nodes, "after node1's meshd restarted")
            check(served(n2) == CALLS, f"a call ran again: node2 served {served(n2)}")

            n1.kill()
            n1.start(die_with_parent=True)
            ac.wait_all([n1], ac.READY_RE, READY_TIMEOUT_S)
            ac.wait_mesh(nodes, ac.MESH_TIMEOUT_S)
            time.sleep(SETTLE_S)
            replay(plug, shuffled, nodes, "after node1's VM restarted")
            check(served(n2) == CALLS, f"a call ran again: node2 served {served(n2)}")

            n3.kill()
            wait_states({n1: {3: "dead"}, n2: {3: "dead"}}, time.monotonic(), 30)
            marks = {n.name: len(n.text) for n in (n1, n2)}
            replay(plug, frames, [n1, n2], "node3 dead")
            time.sleep(SETTLE_S)
            for n in (n1, n2):
                state = ac.mesh_view(n)[1].get(3, {}).get("state")
                back = re.findall(r"meshd: member node=3 state=(?!dead)\w+.*",
                                  n.text[marks[n.name]:])
                print(f"{n.name} sees node3 {state} after its packets were replayed")
                check(state == "dead" and not back, f"{n.name}: node3 came back: {state} {back}")
            check(served(n2) == CALLS, f"a call ran again: node2 served {served(n2)}")
        finally:
            plug.close()


if __name__ == "__main__":
    main(test)
