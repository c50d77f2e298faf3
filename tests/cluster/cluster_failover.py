#!/usr/bin/env python3
"""kv-failover: a replicated counter survives the kill of its primary's VM
(docs/mesh.md "Failover", docs/kv.md). Three nodes:
 - `spawn kv --replicas 2 --node 2,3,1` places the primary on node 2 and
   its backup on node 3 (preference order);
 - node 1 runs meshtest's kv-counter: it looks "kv" up once and then adds
   1 to "counter" in a loop, retrying a failed write with the same sequence
   number (the store applies a sequence number once);
 - node 2's VM is killed while the counter runs. Checked: the service
   answers node 1 again within 2 s of the kill (printed), through the same
   capability (kv-counter never looks up again), the backup on node 3 is
   now the primary, a new backup is placed on node 1, and at the end the
   counter equals the number of acknowledged increments: no acknowledged
   update was lost and none was applied twice.
Usage: cluster_failover.py ISO"""
import re
import time

from clusterlib import ac, check, cluster, main
from cluster_sched import settle, shell

COUNT = 1200
KILL_AFTER = 300
ANSWER_LIMIT_S = 2.0


def kv_roles(table):
    return dict((n, r) for n, r in table.get("kv", (0, []))[1])


def test(iso):
    words = [[f"aion.meshtest=kv-counter:{COUNT}"], [], []]
    with cluster(iso, words, "aion-kvfail-", wait_mesh=True) as nodes:
        n1, n2, n3 = nodes
        settle(nodes, lambda t: True)
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
        check(answered < ANSWER_LIMIT_S, f"kv answered {answered:.3f} s after the kill")
        check(re.search(r"kv: role=primary", n3.text[mark3:]), "node 3's backup was not promoted")
        check(not re.search(r"meshtest: kv-counter (started|lookup)", n1.text[mark1:]),
              "the client looked kv up again")

        done = n1.wait_for(r"meshtest: kv-counter done acked=(\d+) value=(\S+) retries=(\d+) "
                           r"err=(\S+)", 240, pos=mark1)
        acked, value = int(done.group(1)), done.group(2)
        print(f"counter: acknowledged {acked}, value {value}, retries {done.group(3)}")
        check(done.group(4) == "none", f"the counter ended with {done.group(0)}")
        check(acked == COUNT and value == str(acked),
              f"lost or doubled updates: acked {acked}, value {value}")
        _, table = settle([n1, n3], lambda t: len(kv_roles(t)) == 2)
        print(f"after the kill: kv on {kv_roles(table)}")
        check(kv_roles(table) == {3: "primary", 1: "backup"}, f"placement {kv_roles(table)}")


if __name__ == "__main__":
    main(test)
