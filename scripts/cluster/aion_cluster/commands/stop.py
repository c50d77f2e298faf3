"""Stop a node in order, as `virsh shutdown` does: press its ACPI power
button (QMP system_powerdown); init stops the services and powers the
machine off, and the VM ends by itself. Prints what the guest logs
meanwhile. After TIMEOUT seconds without a power-off the VM is ended by
its pid and the command fails. Its folder stays: `start` boots it again.

Usage: stop [-t TIMEOUT] NODE   (NODE: node2 or 2)
"""
import argparse
import sys

import aion_cluster as ac


def stop(node, timeout, quiet=False):
    """Shut node down (Node.shutdown()), printing its log meanwhile.
    Returns True when it powered off by itself."""
    if not node.alive():
        print(f"stop: {node.name} is not running")
        return True
    pid = node.pid
    print(f"stop: {node.name}: pressing the power button (pid {pid})", flush=True)
    echo = None if quiet else (lambda line: print(f"{node.name}| {line}", flush=True))
    try:
        took = node.shutdown(timeout, echo=echo)
    except ac.NodeTimeout as e:
        node.stop()
        print(f"stop: {e}", file=sys.stderr)
        print(f"stop: {node.name} did not power off within {timeout:g} s: "
              f"ended it by its pid ({pid})", file=sys.stderr)
        return False
    print(f"stop: {node.name} powered off after {took:.1f} s")
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("node", help="node2 or 2")
    p.add_argument("-t", dest="timeout", type=float, default=ac.SHUTDOWN_TIMEOUT_S,
                   metavar="S", help=f"seconds to wait for the power-off "
                                     f"(default {ac.SHUTDOWN_TIMEOUT_S})")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print the guest's log")
    args = p.parse_args()
    node = ac.find_node(ac.run_dir(), args.node)
    sys.exit(0 if stop(node, args.timeout, args.quiet) else 1)
