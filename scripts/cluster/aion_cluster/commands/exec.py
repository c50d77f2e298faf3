"""Run one command line on a node's shell and print its output.

Sends "@K COMMAND" (K: a fresh sequence number) to the node's serial
console, prints the node's `shell:` log lines that follow (without their
"[time] nodeN shell: " prefix) until "shell: done seq=K status=S", and exits
with S. Exit 124 when no such line comes within the timeout, 125 when the node
is not running or cannot be reached.

With --all instead of NODE, the command runs on every running node at once
(paused ones are skipped, and said so); each output line is prefixed
"nodeN: ", and the exit status is 0 only if it was 0 on every node.

With --sh, the command line runs in busybox's shell (ash) on the node's
console instead, which `exec NODE sh` starts (it stays there until
`exec --sh NODE exit`): the terminal's output lines are printed, without
the echo and the prompts, and the exit status is the command's (`$?`).

Usage: exec NODE COMMAND | exec --all COMMAND | exec --sh NODE COMMAND
"""
import argparse
import sys
import threading

import aion_cluster as ac
from aion_cluster import cluster as lifecycle

TIMEOUT_S = 30
TIMEOUT, UNREACHABLE = 124, 125


def run_one(node, command, timeout, out, log_lines=False, sh=False):
    """The command's exit status on node, its output to out(line);
    errors reported on stderr (prefixed) as TIMEOUT or UNREACHABLE."""
    try:
        if sh:
            return min(ac.sh_exec(node, command, timeout=timeout, out=out), 255)
        return min(ac.shell_exec(node, command, timeout=timeout, out=out,
                                 all_lines=log_lines), 255)
    except ac.NodeTimeout as e:
        print(f"exec: {e}", file=sys.stderr)
        return TIMEOUT
    except ac.NodeError as e:
        print(f"exec: {e}", file=sys.stderr)
        return UNREACHABLE


def run_all(command, timeout):
    """Runs command on every running node in parallel; the worst status."""
    live, paused = lifecycle.running_nodes(ac.run_dir())
    for name in paused:
        print(f"exec: {name} is paused: skipped", file=sys.stderr)
    if not live:
        print("exec: no node is running", file=sys.stderr)
        return UNREACHABLE
    lock = threading.Lock()
    status = {}

    def one(node):
        def out(line):
            with lock:
                print(f"{node.name}: {line}", flush=True)
        status[node.name] = run_one(node, command, timeout, out)

    threads = [threading.Thread(target=one, args=(n,)) for n in live]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = {k: v for k, v in status.items() if v}
    for name, s in sorted(failed.items(), key=lambda kv: ac.node_number(kv[0])):
        print(f"exec: {name}: status {s}", file=sys.stderr)
    return max(status.values())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                epilog=__doc__.split("\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("words", nargs="+", metavar="NODE COMMAND",
                   help="the node (node2 or 2), then the command line (quote it)")
    p.add_argument("--all", action="store_true", help="run it on every running node")
    p.add_argument("-t", dest="timeout", type=float, default=TIMEOUT_S, metavar="S",
                   help=f"seconds to wait for the done line (default {TIMEOUT_S})")
    p.add_argument("--sh", action="store_true",
                   help="run it in busybox's shell on the console (started by `sh`)")
    p.add_argument("--log", action="store_true",
                   help="also print the node's other log lines meanwhile, whole")
    args = p.parse_args()
    if args.all and args.sh:
        p.error("--sh runs on one NODE")
    if len(args.words) != (1 if args.all else 2):
        p.error("expected --all COMMAND" if args.all else "expected NODE COMMAND")
    if args.all:
        sys.exit(run_all(args.words[0], args.timeout))
    try:
        node = ac.find_node(ac.run_dir(), args.words[0])
    except ac.NodeError as e:
        print(f"exec: {e}", file=sys.stderr)
        sys.exit(UNREACHABLE)
    sys.exit(run_one(node, args.words[1], args.timeout,
                     lambda line: print(line, flush=True), args.log, args.sh))
