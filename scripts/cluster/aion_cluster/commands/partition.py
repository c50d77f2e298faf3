"""Split the cluster's network into groups: frames cross no group boundary
(each group's ports of the central switch go on a VDE VLAN of their own).
Every node of the cluster must be listed exactly once. Loss settings stay.
scripts/cluster/heal joins the groups again.

Usage: partition GROUP GROUP...   (GROUP: nodes joined by commas, e.g.
       partition 1 2,3   or   partition node1,node2 node3)
"""
import sys

import aion_cluster as ac


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__.strip())
    net = ac.Cluster.in_run(ac.run_dir())
    try:
        groups = net.partition(sys.argv[1:])
    except (ac.NodeError, ValueError) as e:
        sys.exit(f"partition: {e}")
    print(f"partition: {ac.format_groups(groups)}")

