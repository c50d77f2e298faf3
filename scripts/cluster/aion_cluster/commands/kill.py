"""Pull the plug on a node: SIGKILL its QEMU by the recorded pid (checked
against /proc/PID/cmdline first) and remove its pid file. status then shows
it dead; `start` boots it again, down cleans up the rest.

Usage: kill NODE   (NODE: node2 or 2)
"""
from aion_cluster.commands import the_node


def main():
    node = the_node(__doc__)
    pid = node.kill()
    if pid:
        print(f"kill: killed {node.name} (pid {pid})")
    else:
        print(f"kill: {node.name} was not running")
