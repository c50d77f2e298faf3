"""Boot a node that was killed or stopped, as it was: same number, address,
MAC, command line, cluster key, image and (node1) forwarded port. It
rejoins the mesh; this waits until every running node sees every other one
alive (unless --no-wait), then prints the node table.

Usage: start [--no-wait] [-v] NODE   (NODE: node2 or 2)
"""
import argparse

import aion_cluster as ac
from aion_cluster import cluster as lifecycle


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("node", help="node2 or 2")
    p.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                   help="wait until the node is back in every running node's view "
                        f"({ac.MESH_TIMEOUT_S} s; default: on)")
    p.add_argument("-v", "--verbose", action="store_true", help="show its console output")
    args = p.parse_args()
    run = ac.run_dir()
    name = ac.find_node(run, args.node).name
    progress = lifecycle.Progress("start")
    node = lifecycle.start_node(run, name)
    progress(node.name, f"started (pid {node.pid})")
    lifecycle.boot([node], progress,
                   echoes={node.name: ac.LineEcho(node.name)} if args.verbose else None)
    if args.wait:
        lifecycle.join_mesh(run, progress, ac.MESH_TIMEOUT_S)
    net = ac.Cluster.in_run(run)
    print("\n".join(ac.cluster_table(ac.nodes_in(run), net=net)))
