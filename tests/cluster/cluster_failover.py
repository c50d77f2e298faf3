#!/usr/bin/env python3
"""kv-failover: a replicated counter survives the kill of its primary's VM
(docs/mesh.md "Failover", docs/kv.md). Three nodes:
 - right after the mesh is up (the scheduler may still be electing its
   first leader), `spawn kv --replicas 2 --node 2,3,1` places the primary
   on node 2 and its backup on node 3 (preference order);
 - node 1 runs meshtest's kv-counter: it looks "kv" up once and then adds
   1 to "counter" in a loop, retrying a failed write with the same sequence
   number (the store applies a sequence number once);
 - node 2's VM is killed while the counter runs. Checked: the service
   answers node 1 again within 4 s of the kill (printed; about 0.7 s is
   usual, bench/failover measures it), through the same
   capability (kv-counter never looks up again), the backup on node 3 is
   now the primary, a new backup is placed on node 1, and at the end the
   counter equals the number of acknowledged increments: no acknowledged
   update was lost and none was applied twice;
 - node 3 runs a second counter client that starts only once a lookup
   finds "kv" on its own node (after the promotion): what a local lookup
   gives must follow a failover too;
 - then the new primary's unit is killed on its live node (`kill kv` in
   node 3's shell): it is not restarted in place (it would come back
   empty) but reported to the leader, which promotes the backup on node 1
   under a new epoch and places a new backup on node 3; both clients
   carry on through the capabilities they hold, and at the end the
   counter equals the sum of both clients' acknowledged increments.
Usage: cluster_failover.py ISO"""
import re
import time

from clusterlib import ac, check, cluster, main
from cluster_sched import settle, shell

COUNT = 3000
KILL_AFTER = 300
# A generous limit (docs/testing.md) for both kills: the VM's takes about
# 0.7 s, the unit's 0.5 s (bench/failover); the behaviour is what counts.
ANSWER_LIMIT_S = 4.0


def kv_roles(table):
    return dict((n, r) for n, r in table.get("kv", (0, []))[1])


def test(iso):
    words = [[f"aion.meshtest=kv-counter:{COUNT}"], [], [f"aion.meshtest=kv-counter-local:{COUNT}"]]
    with cluster(iso, words, "aion-kvfail-", wait_mesh=True) as nodes:
        n1, n2, n3 = nodes
        # No wait for the election: right after the mesh is up a spawn
        # waits for the scheduler's first leader instead of failing.
        status, lines = shell(n1, "spawn kv --replicas 2 --node 2,3,1")
        check(status == 0, f"spawn kv: {lines}")
        settle(nodes, lambda t: kv_roles(t) == {2: "primary", 3: "backup"})
        n2.wait_for(r"kv: backup joined node=3", 30)
        n1.wait_for(rf"meshtest: kv-counter acked={KILL_AFTER}\b", 120)
        mark1, mark3 = len(n1.text), len(n3.text)

        t0 = time.monotonic()
        n2.kill()
        m = n1.wait_for(r"meshtest: kv-counter resumed gap_ms=(\d+) err=(\S+)", 30, pos=mark1)
        answered = time.monotonic() - t0
        fails = re.findall(r"meshtest: kv-counter fail seq=\d+ err=(\S+) executed=(\w+)",
                           n1.text[mark1:])
        print(f"node 2 killed: kv answered node 1 again after {answered * 1000:.0f} ms "
              f"(limit {ANSWER_LIMIT_S * 1000:.0f} ms); failed attempts meanwhile: "
              f"{len(fails)} ({sorted(set(fails))})")
        check(answered < ANSWER_LIMIT_S, f"kv answered {answered:.3f} s after the kill "
              f"(limit {ANSWER_LIMIT_S:g} s)")
        check(re.search(r"kv: role=primary", n3.text[mark3:]), "node 3's backup was not promoted")
        n3.wait_for(r"meshtest: kv-counter started client=\S+ node=3\b", 30, pos=mark3)
        check(not re.search(r"meshtest: kv-counter (started|lookup)", n1.text[mark1:]),
              "the client looked kv up again")

        settle([n1, n3], lambda t: kv_roles(t) == {3: "primary", 1: "backup"})
        n3.wait_for(r"kv: backup joined node=1\b", 30, pos=mark3)
        check(not re.search(r"meshtest: kv-counter done", n1.text),
              f"the counter ended before the unit kill: raise COUNT ({COUNT})")
        unit_failover(n1, n3)

        acked = 0
        for n in (n1, n3):
            done = n.wait_for(r"meshtest: kv-counter done acked=(\d+) value=(\S+) retries=(\d+) "
                              r"err=(\S+)", 240, pos=mark1 if n is n1 else mark3)
            print(f"{n.name}'s client: acknowledged {done.group(1)}, retries {done.group(3)}")
            check(done.group(4) == "none" and int(done.group(1)) == COUNT,
                  f"{n.name}'s counter ended with {done.group(0)}")
            acked += int(done.group(1))
        status, lines = shell(n1, "kv get counter")
        value = next((m.group(1) for m in map(re.compile(r"kv ok value=(\S+)").search, lines) if m),
                     None)
        print(f"counter: acknowledged {acked} in all, value {value}")
        check(status == 0 and value == str(acked),
              f"lost or doubled updates: acked {acked}, value {value} ({lines})")


def unit_failover(n1, n3):
    """Kills the primary's unit on node 3 (the node stays up)."""
    mark1, mark3 = len(n1.text), len(n3.text)
    t0 = time.monotonic()
    status, lines = shell(n3, "kill kv")
    check(status == 0, f"kill kv on node 3: {lines}")
    m = n1.wait_for(r"kv: role=primary epoch=(\d+)", 30, pos=mark1)
    ended = n3.wait_for(r"meshd: job ended job=kv role=primary .*asking the leader", 30, pos=mark3)
    # Calls cannot succeed between the unit's end and the promotion (they
    # are parked while the proxy re-binds), so an ack logged after these
    # lines shows the client got through again.
    n1.wait_for(r"meshtest: kv-counter acked=\d+", 30, pos=m.end())
    answered = time.monotonic() - t0
    n3.wait_for(r"meshtest: kv-counter acked=\d+", 30, pos=ended.end())
    gaps = [re.findall(r"meshtest: kv-counter resumed gap_ms=(\d+)", n.text[mark:])
            for n, mark in ((n1, mark1), (n3, mark3))]
    print(f"kv unit killed on node 3: node 1's backup promoted (epoch {m.group(1)}); both "
          f"clients acked again, node 1's within {answered * 1000:.0f} ms of the kill "
          f"(the clients' own gaps: {gaps[0]} ms, {gaps[1]} ms)")
    check(answered < ANSWER_LIMIT_S, f"kv answered {answered:.3f} s after the unit kill "
          f"(limit {ANSWER_LIMIT_S:g} s)")
    check(not re.search(r"kv: role=primary", n3.text[mark3:]),
          "node 3 restarted its primary in place")
    for n, mark in ((n1, mark1), (n3, mark3)):
        check(not re.search(r"meshtest: kv-counter (started|lookup)", n.text[mark:]),
              f"{n.name}'s client looked kv up again")
    _, table = settle([n1, n3], lambda t: kv_roles(t) == {1: "primary", 3: "backup"})
    n1.wait_for(r"kv: backup joined node=3\b", 30, pos=mark1)
    print(f"after the unit kill: kv on {kv_roles(table)}")


if __name__ == "__main__":
    main(test)
