"""Attach the terminal to a node's serial console (Ctrl-] to leave).

Usage: console [--raw] NODE   (NODE: node2 or 2)

The line is edited and echoed locally and sent on Enter (the guest shell does
not echo); --raw sends each key as typed, without local echo.
"""
import sys

import aion_cluster as ac


def main():
    args = sys.argv[1:]
    raw = "--raw" in args
    args = [a for a in args if a != "--raw"]
    if len(args) != 1 or args[0] in ("-h", "--help"):
        sys.exit(__doc__.strip())
    try:
        node = ac.find_node(ac.run_dir(), args[0])
        if not node.alive():
            raise ac.NodeError(f"{node.name} is not running")
        print(f"console: {node.name} ({node.console_sock}); Ctrl-] to leave",
              file=sys.stderr, flush=True)
        how = ac.attach_console(node, raw=raw)
    except ac.NodeError as e:
        sys.exit(f"console: {e}")
    if how == "closed":
        print(f"\nconsole: {node.name} closed the console (QEMU exited?)", file=sys.stderr)
    else:
        print(f"\nconsole: left {node.name}", file=sys.stderr)

