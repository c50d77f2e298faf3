"""Shrink the cluster: remove node N's Raft server from the configuration
through the log (one change, asked of a live node, docs/mesh.md
"Consensus"), then stop the node's VM, its wire and switch, and delete its
folder and disk. The other nodes keep running; the node's jobs are placed
elsewhere once membership declares it dead.

Usage: remove NODE
"""
import argparse

import aion_cluster as ac
from aion_cluster import cluster as lifecycle
from aion_cluster import members

TIMEOUT_S = 60


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("node", help="the node to remove (N or nodeN)")
    args = p.parse_args()
    run = ac.run_dir()
    progress = lifecycle.Progress("remove")
    ac.exit_on_signals()
    victim = ac.find_node(run, args.node)
    live, _ = lifecycle.running_nodes(run)
    asked = next((n for n in live if n.number != victim.number), None)
    if asked is None:
        raise ac.NodeError(f"no other running node to ask: removing {victim.name} needs one")
    members.remove_server(asked, victim.number, TIMEOUT_S)
    progress("raft", f"{victim.name}'s server left the configuration ({asked.name} says)")
    lifecycle.remove_nodes(run, [victim])
    progress(victim.name, "stopped and deleted, its disk too")
    print("\n".join(ac.cluster_table(ac.nodes_in(run), net=ac.Cluster.in_run(run))))
