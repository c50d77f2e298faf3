"""Freeze a node's CPUs (QMP "stop"); the QEMU process stays alive.
scripts/cluster/resume lets it run again.

Usage: pause NODE   (NODE: node2 or 2)
"""
from aion_cluster.commands import the_node


def main():
    node = the_node(__doc__)
    node.pause()
    print(f"pause: {node.name} paused (pid {node.pid})")
