#!/usr/bin/env python3
"""sched-partition: five nodes split 2 | 3 and healed (docs/mesh.md
"Scheduler"). Checks, in order:
 - `spawn echod --replicas 3 --spread` is placed on three distinct nodes;
 - partition {1,2} | {3,4,5}: on the side of 2, `spawn` is refused with
   AION_ENOQUORUM and a reason naming what the node sees, `jobs` says
   quorum=no, and the state there does not change; the side of 3 elects a
   leader among itself, places all three instances on its own nodes, and
   "echo" answers there;
 - heal: all five see each other alive, agree on one leader and one
   placement, and echod runs exactly where the placement says, three
   units in all (`ps` on every node): no service runs twice.
Usage: cluster_partition.py ISO"""
import re
import time

from clusterlib import NO_JOB, ac, check, cluster, main, settle, shell

MINORITY, MAJORITY = (1, 2), (3, 4, 5)
WATCH_S = 4


def spread(table, allowed, k=3):
    want, inst, _ = table.get("echod", NO_JOB)
    nodes = [n for n, _ in inst]
    return want == k and len(nodes) == k and len(set(nodes)) == k and set(nodes) <= set(allowed)


def echod_units(node):
    status, lines = shell(node, "ps")
    check(status == 0, f"{node.name}: ps failed: {lines}")
    return sum(1 for ln in lines if re.match(r"\d+ echod running", ln))


def state_line(node):
    status, lines = shell(node, "jobs")
    return next((ln for ln in lines if ln.startswith("scheduler ")), "")


def test(iso):
    with cluster(iso, [[]] * 5, "aion-part-", wait_mesh=True, faults=True) as net:
        nodes = list(net)
        leader, _ = settle(nodes, lambda t: True, timeout=40)
        status, lines = shell(nodes[2], "spawn echod --replicas 3 --spread")
        check(status == 0, f"spawn: {lines}")
        _, table = settle(nodes, lambda t: spread(t, range(1, 6)), timeout=40)
        print(f"leader node {leader}; echod on {table['echod'][1]}")

        t0 = time.monotonic()
        net.partition([list(MINORITY), list(MAJORITY)])
        minority = [nodes[i - 1] for i in MINORITY]
        majority = [nodes[i - 1] for i in MAJORITY]
        new_leader, table = settle(majority, lambda t: spread(t, MAJORITY), timeout=40,
                                   leaders=MAJORITY)
        print(f"partition {MINORITY} | {MAJORITY}: the side of 3 leads with node {new_leader} "
              f"after {time.monotonic() - t0:.1f} s; echod on {table['echod'][1]}")
        check(new_leader in MAJORITY, f"leader {new_leader} on the majority side")
        status, lines = shell(majority[1], "call echo partitioned")
        check(status == 0 and any("echo node=" in ln for ln in lines), f"call echo: {lines}")

        # The small side may be unhealthy when cut (LHM up from late ticks):
        # it accuses a node of the other side once that node has been
        # silent for its longest suspicion (5.4 s at scale 2), whose end
        # is stretched as far again: about 11-14 s (test_unhealthy_minority).
        deadline = time.monotonic() + 20
        while True:
            before = [state_line(n) for n in minority]
            if all("quorum=no" in s for s in before) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        for n in minority:
            check("quorum=no" in before[minority.index(n)], f"{n.name}: {before}")
            status, lines = shell(n, "spawn kv")
            check(status == 1 and any("AION_ENOQUORUM" in ln and "sees 2 of 5" in ln
                                      for ln in lines), f"{n.name}: spawn: {lines}")
            print(f"{n.name}: {lines[-1]}")
        time.sleep(WATCH_S)
        after = [state_line(n) for n in minority]
        state = [re.search(r"state=(\S+)", s).group(1) for s in before + after]
        check(state[:2] == state[2:], f"the minority's state changed: {before} -> {after}")
        print(f"minority state unchanged over {WATCH_S} s: {after}")

        t1 = time.monotonic()
        net.heal()
        ac.wait_mesh(nodes, 30)
        leader, table = settle(nodes, lambda t: spread(t, range(1, 6)), timeout=40)
        placed = {n for n, _ in table["echod"][1]}
        deadline = time.monotonic() + 20
        while True:
            units = {ac.node_number(n.name): echod_units(n) for n in nodes}
            if units == {i: int(i in placed) for i in range(1, 6)} or time.monotonic() > deadline:
                break
            time.sleep(1)
        print(f"heal: one leader (node {leader}) after {time.monotonic() - t1:.1f} s; "
              f"echod placed on {sorted(placed)}; units per node {units}")
        check(units == {i: int(i in placed) for i in range(1, 6)},
              f"echod runs {units}, placed on {sorted(placed)}")


if __name__ == "__main__":
    main(test)
