#!/usr/bin/env python3
"""net-faults: three nodes on the fault network (clusterlib faults=True: a
switch per node, joined to the central switch by a wirefilter) see network
faults the host injects, through the shell's `nodes` view (meshd):
 - partition {1} | {2,3}: node 1 sees 2 and 3 dead; 2 and 3 see 1 dead and
   each other alive; `ping` crosses no group boundary but works inside one;
 - heal: every node sees every node alive again;
 - loss 2 100: nodes 1 and 3 mark node 2 dead (and node 2 them);
 - loss 2 0: every node alive again;
 - kill and start node 3: it plugs into its own switch again and rejoins.
Times are measured from the host's change to the first `nodes` answer
showing the expected states (each node polled in turn, so a time includes
up to one round of execs).
Usage: cluster_netfault.py ISO"""
import re
import time

from clusterlib import ac, check, cluster, main, wait_states

PHASE_TIMEOUT_S = 45
# Limits well above what meshd needs (about 0.5 s to declare a death, a few
# seconds to rejoin: discovery broadcasts once a second) on a busy 2-core host.
DEAD_LIMIT_S = 10
REJOIN_LIMIT_S = 20
# A node cut off from everyone is slow by design: its own probes all fail,
# so its local health multiplier goes to the max, it accuses nobody new and
# its earlier suspicions stretch 3 times (mesh/member.h): about 5.6 s at
# detection scale 2 (test_mesh_member's test_isolated_node), plus however
# long the host starved its VM meanwhile (CI once took 11.3 s).
ISOLATED_LIMIT_S = 30


def phase(name, change, expect, limit, isolated=()):
    """Apply change(), wait for the expected views, print and check times:
    limit for each node's view, ISOLATED_LIMIT_S for the isolated nodes'."""
    t0 = time.monotonic()
    change()
    t_change = time.monotonic() - t0
    try:
        took = wait_states(expect, t0, PHASE_TIMEOUT_S)
    except ac.NodeTimeout as e:
        raise ac.NodeError(f"{name}: {e}") from None
    print(f"{name}: host change took {t_change * 1000:.1f} ms; views as expected after "
          + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(took.items())), flush=True)
    for node in expect:
        lim = ISOLATED_LIMIT_S if node in isolated else limit
        check(took[node.name] < lim,
              f"{name}: {node.name} took {took[node.name]:.2f} s (limit {lim} s)")
    return took


def ping(node, addr):
    lines = []
    status = ac.shell_exec(node, f"ping {addr}", timeout=15, out=lines.append)
    text = " ".join(lines)
    m = re.search(r"received=(\d+)/(\d+)", text)
    return (int(m.group(1)) if m and status == 0 else 0), text


def test(iso):
    with cluster(iso, [[], [], []], "aion-netfault-", wait_mesh=True, faults=True) as net:
        n1, n2, n3 = net
        alive = {k: "alive" for k in (1, 2, 3)}
        print(f"mesh up; groups {ac.format_groups(net.groups())}, losses {net.losses()}",
              flush=True)

        phase("partition 1 | 2,3",
                         lambda: net.partition([[1], [2, 3]]),
                         {n1: {1: "alive", 2: "dead", 3: "dead"},
                          n2: {1: "dead", 2: "alive", 3: "alive"},
                          n3: {1: "dead", 2: "alive", 3: "alive"}}, DEAD_LIMIT_S,
                         isolated=(n1,))
        check(net.groups() == [[1], [2, 3]], f"groups: {net.groups()}")
        across, text = ping(n1, ac.mesh_addr(2))
        print(f"node1 ping node2 across the partition: {text}")
        check(across == 0, f"a ping crossed the partition: {text}")
        inside, text = ping(n2, ac.mesh_addr(3))
        print(f"node2 ping node3 inside its group: {text}")
        check(inside > 0, f"no ping inside a group: {text}")
        # Both sides stay as they are: no false rejoin while split.
        time.sleep(2)
        for n, want in ((n1, {2: "dead", 3: "dead"}), (n2, {1: "dead", 3: "alive"}),
                        (n3, {1: "dead", 2: "alive"})):
            view = ac.mesh_view(n)[1]
            got = {k: view[k]["state"] for k in want if k in view}
            check(got == want, f"{n.name} after 2 s of partition sees {got}, wants {want}")

        phase("heal", net.heal, {n: alive for n in net.nodes}, REJOIN_LIMIT_S)
        check(net.groups() == [[1, 2, 3]], f"groups after heal: {net.groups()}")

        phase("loss 2 100", lambda: net.loss(2, 100),
                            {n1: {2: "dead", 3: "alive"}, n3: {1: "alive", 2: "dead"},
                             n2: {1: "dead", 3: "dead"}}, DEAD_LIMIT_S, isolated=(n2,))
        check(net.losses()[2] == 100.0, f"losses: {net.losses()}")

        phase("loss 2 0", lambda: net.loss(2, 0),
              {n: alive for n in net.nodes}, REJOIN_LIMIT_S)

        # A restarted node plugs into its own switch (and wire) again.
        n3.kill()
        t0 = time.monotonic()
        n3.start(die_with_parent=True)
        n3.wait_for(ac.READY_RE, 90)
        took = wait_states({n: alive for n in net.nodes}, t0, 60)
        print("node3 killed and started again: views as expected after "
              + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(took.items())), flush=True)
        check(net.losses() == {1: 0.0, 2: 0.0, 3: 0.0}, f"losses: {net.losses()}")


if __name__ == "__main__":
    main(test)
