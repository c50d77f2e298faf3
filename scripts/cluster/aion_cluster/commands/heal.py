"""End a partition: every node back on one network (VDE VLAN 0 of the
central switch). Loss settings stay (scripts/cluster/loss NODE 0 clears one).

Usage: heal
"""
import sys

import aion_cluster as ac


def main():
    if len(sys.argv) != 1:
        sys.exit(__doc__.strip())
    net = ac.Cluster.in_run(ac.run_dir())
    try:
        net.heal()
    except ac.NodeError as e:
        sys.exit(f"heal: {e}")
    print(f"heal: one network ({', '.join(f'node{n}' for n in net.numbers)})")

