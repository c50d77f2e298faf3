#!/usr/bin/env python3
"""cluster-durable: the cluster's state is on the nodes' disks and in the
Raft log (docs/mesh.md "Consensus"). Three nodes:
 - `spawn kv --replicas 2` and `spawn echod`, then acknowledged kv writes
   from every node (puts, an add, a cas);
 - every VM is killed at once and started again on its disk: every job is
   still in the desired state and placed, and every acknowledged key reads
   the value it was given;
 - `kill meshd` on the node of the Raft leader, then on the node of kv's
   primary: init restarts meshd, which recovers from its disk; a write
   from another node succeeds again within WRITE_LIMIT_S of the kill
   (printed), and no acknowledged key is lost;
 - node 3's disk is replaced by an empty one while it is down: it comes
   back as a new Raft server (a new id), never as its old self; the
   leader replaces the old server by the new one through the log (one
   change at a time) and the new one votes and reads every key;
 - a unit that is not kv cannot use the cluster's log: meshtest's
   MESHD_KV on "mesh" is refused with AION_EPERM (meshd takes it from
   kv's instances only).
Usage: cluster_durable.py ISO"""
import re
import time

from clusterlib import READY_TIMEOUT_S, ac, check, cluster, main, settle, shell

# The promise, measured from the host (shell round trips included).
WRITE_LIMIT_S = 5.0


def kv(node, command, timeout=30):
    """The value of a `kv` shell command that must succeed."""
    status, lines = shell(node, f"kv {command}", timeout)
    m = next((m for m in map(re.compile(r"kv ok value=(\S*)").search, lines) if m), None)
    check(status == 0 and m, f"{node.name}: kv {command}: {lines}")
    return m.group(1)


def members(node):
    """(this node's role, the leader's node) from `members`."""
    status, lines = shell(node, "members")
    m = re.search(r"role=(\w+) .*leader=(\d+)", lines[0] if lines else "")
    check(status == 0 and m, f"{node.name}: members: {lines}")
    return m.group(1), int(m.group(2))


def wait_leader(nodes, timeout=20):
    """The leader's node number once every node in nodes names the same one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = {members(n)[1] for n in nodes}
        if len(seen) == 1 and 0 not in seen:
            return seen.pop()
        time.sleep(0.2)
    check(False, f"no leader all of {[n.name for n in nodes]} agree on within {timeout} s")


def check_keys(node, want):
    for key, value in want.items():
        got = kv(node, f"get {key}")
        check(got == value, f"{node.name}: {key}={got}, acknowledged {value}")


def placed(table):
    kvj, echo = table.get("kv"), table.get("echod")
    return kvj and len(kvj.inst) == 2 and echo and len(echo.inst) == 1


def restart_all(nodes):
    for n in nodes:
        n.kill()
    for n in nodes:
        n.start(die_with_parent=True)
    ac.wait_all(nodes, ac.READY_RE, READY_TIMEOUT_S)
    ac.wait_mesh(nodes, ac.MESH_TIMEOUT_S)


def kill_meshd(nodes, victim, other, key, want):
    """kill meshd on victim; the time until other's write of key succeeds."""
    mark = len(victim.text)
    t0 = time.monotonic()
    status, lines = shell(victim, "kill meshd")
    check(status == 0, f"{victim.name}: kill meshd: {lines}")
    deadline = t0 + 30
    while True:
        status, lines = shell(other, f"kv add {key} 1")
        if status == 0:
            break
        check(time.monotonic() < deadline, f"{other.name}: no write within 30 s: {lines}")
    took = time.monotonic() - t0
    want[key] = str(int(want.get(key, "0")) + 1)
    victim.wait_for(r"meshd: raft server id=\w+ term=\d+", 30, pos=mark)
    print(f"kill meshd on {victim.name}: {other.name}'s write succeeded after "
          f"{took * 1000:.0f} ms (limit {WRITE_LIMIT_S * 1000:.0f} ms)")
    check(took < WRITE_LIMIT_S, f"writes came back {took:.2f} s after the kill")


def test(iso):
    words = [[], ["aion.meshtest=kv-deny"], []]
    with cluster(iso, words, "aion-durable-", wait_mesh=True) as nodes:
        n1, n2, n3 = nodes
        for cmd in ("spawn kv --replicas 2", "spawn echod"):
            status, lines = shell(n1, cmd)
            check(status == 0, f"{cmd}: {lines}")
        settle(nodes, placed)
        want = {}
        for i, n in enumerate(nodes, 1):
            want[f"k{i}"] = kv(n, f"put k{i} v{i}")
        want["n"] = kv(n2, "add n 41")
        want["k1"] = kv(n3, "cas k1 v1 w1")
        check(want["k1"] == "w1" and want["n"] == "41", f"writes: {want}")
        check_keys(n1, want)

        # A unit that is not one of kv's instances may not use the log.
        m = n2.wait_for(r"meshtest: kv-deny err=(\S+)", 30)
        print(f"a plain unit's MESHD_KV: {m.group(1)}")
        check(m.group(1) == "AION_EPERM", f"MESHD_KV from a plain unit: {m.group(0)}")
        status, lines = shell(n1, "members")
        print("members before the restart: " + " | ".join(lines))

        restart_all(nodes)
        _, table = settle(nodes, placed, timeout=60)
        print(f"after every VM was killed and started: jobs {sorted(table)}, "
              f"kv on {table['kv'].inst}")
        check_keys(n3, want)

        leader = wait_leader(nodes)
        victim = nodes[leader - 1]
        other = next(n for n in nodes if n is not victim)
        kill_meshd(nodes, victim, other, "n", want)
        _, table = settle(nodes, placed, timeout=60)
        primary = next(node for node, role in table["kv"].inst if role == "primary")
        victim = nodes[primary - 1]
        other = next(n for n in nodes if n is not victim)
        kill_meshd(nodes, victim, other, "n", want)
        settle(nodes, placed, timeout=60)
        for n in nodes:
            check_keys(n, want)
        print(f"every acknowledged key read back on every node: {want}")
        wipe_and_rejoin(nodes, n3, want)


def server_ids(node):
    """{node number: (server id, voter or learner)} of node's `members`."""
    status, lines = shell(node, "members")
    check(status == 0, f"{node.name}: members: {lines}")
    return {int(m.group(2)): (m.group(1), m.group(3)) for m in
            map(re.compile(r"server id=(\w+) node=(\d+) (voter|learner)").search, lines) if m}


def wipe_and_rejoin(nodes, victim, want):
    others = [n for n in nodes if n is not victim]
    old = server_ids(others[0])[victim.number][0]
    victim.kill()
    victim.disk_file.unlink()
    victim.create_disk()                # not first: no aion.bootstrap
    victim.start(die_with_parent=True)
    victim.wait_for(ac.READY_RE, READY_TIMEOUT_S)
    deadline = time.monotonic() + 60
    while True:
        ids = server_ids(others[0])
        new = ids.get(victim.number)
        if new and new[0] != old and new[1] == "voter":
            break
        check(time.monotonic() < deadline, f"{victim.name} did not rejoin as a new voter: {ids}")
        time.sleep(0.5)
    check(old not in [i for i, _ in ids.values()], f"the old server {old} is still there: {ids}")
    print(f"{victim.name} with an empty disk: old server id={old}, now id={new[0]} (voter); "
          f"servers {sorted(ids.items())}")
    check_keys(victim, want)


if __name__ == "__main__":
    main(test)
