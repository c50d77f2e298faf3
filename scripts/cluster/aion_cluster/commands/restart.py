"""Stop a node in order (as `stop`), then boot it again (as `start`).
A node that is not running is just started.

Usage: restart [-t TIMEOUT] [--no-wait] NODE   (NODE: node2 or 2)
"""
import argparse
import sys

import aion_cluster as ac
from aion_cluster.commands import start, stop


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("node", help="node2 or 2")
    p.add_argument("-t", dest="timeout", type=float, default=ac.SHUTDOWN_TIMEOUT_S,
                   metavar="S", help="seconds to wait for the power-off")
    p.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                   help="wait until the node is back in every view (default: on)")
    args = p.parse_args()
    node = ac.find_node(ac.run_dir(), args.node)
    clean = stop.stop(node, args.timeout)
    sys.argv = [sys.argv[0], node.name] + ([] if args.wait else ["--no-wait"])
    start.main()
    sys.exit(0 if clean else 1)
