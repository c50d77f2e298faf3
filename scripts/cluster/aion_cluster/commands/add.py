"""Grow a running cluster by K nodes (default 1): nodes N+1..N+K, made as
`up` made the others (memory, acceleration, cluster key, image), each on
its own switch and wire, each with a new disk: its meshd is a new Raft
server that asks the leader to join, and the leader makes it a voter one
change at a time (docs/mesh.md "Consensus"). Waits until every running
node sees every other one alive and each new node votes (unless
--no-wait), then prints the node table.

Usage: add [-n K] [--no-wait]
"""
import argparse

import aion_cluster as ac
from aion_cluster import cluster as lifecycle
from aion_cluster import members

VOTER_TIMEOUT_S = 60


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", dest="count", type=int, default=1, metavar="K",
                   help="how many nodes to add (default 1)")
    p.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                   help=f"wait for the mesh ({ac.MESH_TIMEOUT_S} s; default: on)")
    p.add_argument("-v", "--verbose", action="store_true", help="show their console output")
    args = p.parse_args()
    if args.count < 1:
        p.error("-n must be at least 1")
    run = ac.run_dir()
    progress = lifecycle.Progress("add")
    ac.exit_on_signals()
    nodes = lifecycle.add_nodes(run, args.count)
    for n in nodes:
        progress(n.name, f"started (pid {n.pid}, {ac.mesh_addr(n.number)})")
    try:
        lifecycle.boot(nodes, progress, echoes={n.name: ac.LineEcho(n.name) for n in nodes}
                       if args.verbose else None)
    except (ac.NodeError, SystemExit):
        # A node that did not boot is not left half added.
        lifecycle.remove_nodes(run, nodes)
        raise
    if args.wait:
        lifecycle.join_mesh(run, progress, ac.MESH_TIMEOUT_S)
        live, _ = lifecycle.running_nodes(run)
        for n in nodes:
            members.wait_voter(live, n.number, VOTER_TIMEOUT_S)
            progress("raft", f"{n.name} votes")
    print("\n".join(ac.cluster_table(ac.nodes_in(run), net=ac.Cluster.in_run(run))))
