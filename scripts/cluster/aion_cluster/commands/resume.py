"""Let a paused node run again (QMP "cont").

Usage: resume NODE   (NODE: node2 or 2)
"""
from aion_cluster.commands import the_node


def main():
    node = the_node(__doc__)
    node.resume()
    print(f"resume: {node.name} running (pid {node.pid})")
