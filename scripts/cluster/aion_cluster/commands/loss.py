"""Make a node's link drop PERCENT % of the frames in each direction (its
wirefilter's `loss`, set at run time); 0 restores it. Kept across partition,
heal, and kill/restart of the node; `down` forgets it.

Usage: loss NODE PERCENT   (NODE: node2 or 2; PERCENT: 0..100, e.g. 12.5)
"""
import sys

import aion_cluster as ac


def main():
    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__.strip())
    net = ac.Cluster.in_run(ac.run_dir())
    try:
        node = ac.as_number(sys.argv[1])
        net.loss(node, sys.argv[2])
        now = net.wires[node].loss()
    except (ac.NodeError, ValueError) as e:
        sys.exit(f"loss: {e}")
    print(f"loss: node{node} drops {now:g}% of frames each way")

