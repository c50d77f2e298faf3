"""Show a node's console log: what the guest printed since its last boot
(serial.log, terminal control sequences and carriage returns removed; the
log comes from the guest's log port, so no byte is repeated).

Usage: logs [-f] [-n LINES] [--previous] NODE   (NODE: node2 or 2)
  -f          keep printing what the node prints (Ctrl-C ends); follows the
              node through a restart
  -n LINES    only the last LINES lines
  --previous  the log of the boot before this one
"""
import argparse
import sys
import time

import aion_cluster as ac
from aion_cluster import logs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("node", help="node2 or 2")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    p.add_argument("-n", dest="lines", type=int, metavar="LINES",
                   help="only the last LINES lines")
    p.add_argument("--previous", action="store_true", help="the boot before this one")
    args = p.parse_args()
    if args.lines is not None and args.lines < 0:
        p.error("-n must be 0 or more")
    node = ac.find_node(ac.run_dir(), args.node)
    path = node.previous_log if args.previous else node.serial_log
    reader = logs.LogReader(path)
    text = reader.read()
    if text is None:
        sys.exit(f"logs: {node.name}: no {'previous ' if args.previous else ''}log "
                 f"({path} does not exist)")
    sys.stdout.write(logs.last_lines(text, args.lines))
    sys.stdout.flush()
    while args.follow:
        time.sleep(0.1)
        sys.stdout.write(reader.read() or "")
        sys.stdout.flush()
