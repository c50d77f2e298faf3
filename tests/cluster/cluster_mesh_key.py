#!/usr/bin/env python3
"""mesh-key: a node started with another cluster key (fw_cfg
opt/aion/cluster-key) cannot join, and one whose key is too short refuses
to. Nodes 1 and 2 run the cluster's random key, node 3 a key of its own,
node 4 a 2-byte key. Checks: nodes 1 and 2 see each other alive and never
list nodes 3 or 4; node 3 sees nobody; the packets node 3 sends show up as
MAC refusals (bad_mac) in `mesh stats` of nodes 1 and 2 and none of them is
accepted; a name registered on node 3 cannot be found from node 1, and node
3 finds no name of node 2. Node 4's meshd says once why it stays out,
never becomes ready and is not started again and again.
Usage: cluster_mesh_key.py ISO"""
import re
import time

from clusterlib import ac, check, cluster, main, wait_states

OTHER_KEY = "0123456789abcdef0123456789abcdef"
SHORT_KEY = "abcd"
SETTLE_S = 6
VIEW_TIMEOUT_S = 30


def run(node, command):
    lines = []
    status = ac.shell_exec(node, command, timeout=20, out=lines.append)
    return status, lines


def stats(node):
    status, lines = run(node, "mesh stats")
    check(status == 0, f"{node.name}: mesh stats: {lines}")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", " ".join(lines))}


def test(iso):
    words = [["aion.meshtest=local-echo"], ["aion.meshtest=echo"], ["aion.meshtest=mailbox"], []]
    with cluster(iso, words, "aion-mkey-", node_keys={3: OTHER_KEY},
                 node_fw_cfg={4: {ac.CLUSTER_KEY_FWCFG: SHORT_KEY}}) as all_nodes:
        n1, n2, n3, n4 = all_nodes
        nodes = [n1, n2, n3]
        ac.wait_all(nodes, r"meshd: ready", 90)
        n3.wait_for(r"meshd: cluster key from fw_cfg", 10)
        why = n4.wait_for(r"meshd: error: cluster key has 2 bytes, fewer than 16: "
                          r"this node stays out of the mesh", 90)
        print("node4:", why.group(0))
        ac.wait_all(nodes, r"meshtest: \S+ ready", 60)
        time.sleep(SETTLE_S)
        # Polled: a busy host may show a passing suspicion in any one view.
        wait_states({n1: {2: "alive"}, n2: {1: "alive"}}, time.monotonic(), VIEW_TIMEOUT_S)

        views = {n.name: ac.mesh_view(n) for n in nodes}
        for name, (me, members) in views.items():
            print(f"{name} sees " + ", ".join(f"node{k} {v['state']}" for k, v in members.items()))
        for name in ("node1", "node2"):
            check(3 not in views[name][1], f"{name} lists node 3 (another key): {views[name]}")
            check(4 not in views[name][1], f"{name} lists node 4 (short key): {views[name]}")
        check(set(views["node3"][1]) == {3}, f"node 3 sees members: {views['node3']}")

        for n in (n1, n2):
            s = stats(n)
            print(f"{n.name}: rx={s['rx']} ok={s['ok']} bad_mac={s['bad_mac']}")
            check(s["bad_mac"] > 0, f"{n.name}: node 3's packets were not refused: {s}")
        s3 = stats(n3)
        print(f"node3: rx={s3['rx']} ok={s3['ok']} bad_mac={s3['bad_mac']}")
        check(s3["ok"] == 0 and s3["bad_mac"] > 0, f"node 3 accepted packets: {s3}")

        # Node 4 said it once, never became ready, never crash-looped.
        check(n4.text.count("stays out of the mesh") == 1 and "meshd: ready" not in n4.text
              and "meshd: setup failed" not in n4.text,
              f"node 4's meshd did not stay out quietly: {n4.text[-2000:]}")

        status, lines = run(n1, "call mailbox hello")
        print("node1 call mailbox:", *lines)
        check(status == 1 and any("AION_ENOENT" in l for l in lines),
              f"node 1 reached node 3's mailbox: {lines}")
        status, lines = run(n3, "call echo hello")
        print("node3 call echo:", *lines)
        check(status == 1 and any("AION_ENOENT" in l for l in lines),
              f"node 3 reached node 2's echo: {lines}")
        status, lines = run(n1, "call echo hello")
        print("node1 call echo:", *lines)
        check(status == 0 and any(l.endswith(": hello") for l in lines),
              f"node 1 cannot call node 2's echo: {lines}")


if __name__ == "__main__":
    main(test)
