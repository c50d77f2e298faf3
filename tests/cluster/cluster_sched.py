#!/usr/bin/env python3
"""sched-leader: the cluster scheduler on three nodes (docs/mesh.md
"Scheduler"). Checks, in order:
 - the nodes agree on one leader, and every node holds the same desired
   state (`jobs`);
 - `spawn echod --replicas 2 --spread` on a node that does not lead is
   carried to the leader and answered once a majority holds it; every node
   then lists the job with two instances on two distinct nodes, and the
   cluster name "echo" answers;
 - refusals say why: an unknown program (AION_ENOENT), the same job twice
   (AION_EEXIST), bad arguments (AION_EINVAL);
 - `top` shows every node's load, free memory and units, marks the leader
   and the node it runs on; before the job `services` lists only the names
   every node's vfsd registers (its roots, docs/fs.md "/net");
 - killing the leader's VM: the survivors detect it and one of them leads
   in the next term (its first candidacy won: a candidate that lost a vote
   to a voter not yet aware of the death stands again only after a leader
   timeout, in a later term), within a generous time of the detection
   (printed); the desired state is intact: same job, both instances
   placed again on live nodes, "echo" answers.
Usage: cluster_sched.py ISO"""
import re
import time

from clusterlib import NO_JOB, ac, check, cluster, main, settle, shell

# A generous limit (docs/testing.md): a few ms is usual; the term, not the
# time, shows that the first round won.
ELECT_AFTER_DETECT_S = 3.0
SERVICES_S = 30.0       # vfsd registers its roots within ~10 s of its meshd
TERM_RE = r"meshd: scheduler leading term=(\d+)"


def term(node):
    """The scheduler term node is in, from the head line of `jobs`."""
    status, lines = shell(node, "jobs")
    m = re.search(r"^scheduler .*\bterm=(\d+)", "\n".join(lines), re.MULTILINE)
    check(status == 0 and m, f"{node.name}: no term in jobs: {lines}")
    return int(m.group(1))


def two_spread(table, alive):
    want, inst, _ = table.get("echod", NO_JOB)
    nodes = [n for n, _ in inst]
    return want == 2 and len(inst) == 2 and len(set(nodes)) == 2 and set(nodes) <= alive


def test(iso):
    with cluster(iso, [[]] * 3, "aion-sched-", wait_mesh=True) as nodes:
        leader, _ = settle(nodes, lambda t: True)
        print(f"leader: node {leader}")
        other = next(n for n in nodes if ac.node_number(n.name) != leader)
        # No job yet: only each vfsd's roots (registered once its meshd is up).
        vfs_names = {f"name={n} node={i}" for n in ("vfs", "vfs.ro") for i in (1, 2, 3)}
        deadline = time.monotonic() + SERVICES_S
        while True:
            status, lines = shell(other, "services")
            if status != 0 or set(lines) >= vfs_names or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        check(status == 0 and sorted(lines) == sorted(vfs_names), f"services: {lines}")

        status, lines = shell(other, "spawn echod --replicas 2 --spread")
        check(status == 0 and any("spawned job=echod" in ln for ln in lines),
              f"spawn on {other.name}: {lines}")
        print(f"{other.name}: {lines[-1]}")
        leader, table = settle(nodes, lambda t: two_spread(t, {1, 2, 3}))
        print(f"placed: {table['echod'][1]}")
        status, lines = shell(nodes[2], "call echo hello")
        check(status == 0 and any("echo node=" in ln for ln in lines), f"call echo: {lines}")

        for cmd, err in (("spawn nosuchprogram", "AION_ENOENT"),
                         ("spawn echod", "AION_EEXIST"),
                         ("spawn echod --replicas", "AION_EINVAL"),
                         ("spawn echod --bogus", "AION_EINVAL")):
            status, lines = shell(other, cmd)
            check(status == 1 and any(err in ln for ln in lines), f"{cmd}: {lines}")
            print(f"{cmd}: {lines[-1]}")

        status, lines = shell(nodes[0], "top")
        tops = {int(m.group(1)) for ln in lines
                for m in [re.match(r"node=(\d+) cpu=\d+% free_kib=\d+ units=\d+", ln)] if m}
        check(status == 0 and tops == {1, 2, 3}, f"top: {lines}")
        print("top: " + " | ".join(lines))
        # `(this node)` marks where top ran, `leader` the leader's line only.
        here = [ln for ln in lines if ln.endswith(" (this node)")]
        leads = [ln for ln in lines if re.search(r" leader\b", ln)]
        check(len(here) == 1 and here[0].startswith("node=1 "), f"top: (this node): {lines}")
        check(len(leads) == 1 and leads[0].startswith(f"node={leader} "), f"top: leader: {lines}")

        # Kill the leader's VM.
        dead = nodes[leader - 1]
        survivors = [n for n in nodes if n is not dead]
        old_term = max(term(n) for n in nodes)
        marks = {n.name: len(n.text) for n in survivors}
        t0 = time.monotonic()
        dead.kill()
        detect, lead = {}, None
        while time.monotonic() < t0 + 15 and (len(detect) < 2 or lead is None):
            for n in survivors:
                n.read_new()
                text = n.text[marks[n.name]:]
                if n.name not in detect and re.search(rf"meshd: member node={leader} state=dead", text):
                    detect[n.name] = time.monotonic() - t0
                won = re.search(TERM_RE, text)
                if lead is None and won:
                    lead = (n.name, time.monotonic() - t0, int(won.group(1)))
            time.sleep(0.002)
        check(len(detect) == 2, f"the survivors did not detect node {leader}: {detect}")
        check(lead, "no survivor leads within 15 s of the kill")
        first = min(detect.values())
        print(f"leader node {leader} killed: detected after "
              f"{', '.join(f'{k} {v * 1000:.0f} ms' for k, v in sorted(detect.items()))}; "
              f"{lead[0]} leads after {lead[1] * 1000:.0f} ms in term {lead[2]} "
              f"(the old leader's: {old_term})")
        check(lead[2] == old_term + 1,
              f"the new leader took term {lead[2]}, not {old_term + 1}: its first "
              f"candidacy did not win")
        check(lead[1] - first < ELECT_AFTER_DETECT_S,
              f"the new leader came {lead[1] - first:.3f} s after the detection "
              f"(limit {ELECT_AFTER_DETECT_S:g} s)")
        alive = {ac.node_number(n.name) for n in survivors}
        new_leader, table = settle(survivors, lambda t: two_spread(t, alive))
        check(new_leader in alive, f"leader {new_leader} is not a survivor")
        print(f"after the kill: leader node {new_leader}, echod on {table['echod'][1]}")
        status, lines = shell(survivors[0], "call echo again")
        check(status == 0 and any("echo node=" in ln for ln in lines), f"call echo: {lines}")


if __name__ == "__main__":
    main(test)
