"""Stop every node of the cluster in the run folder, then the network (the
wires, the node switches, the central switch), by pid, never by name, and
remove their pid files and sockets, and the nodes' disks unless
--keep-disks (then `up --keep-disks` boots a cluster with them again).
Idempotent: exits 0 when nothing runs.

Usage: down [--keep-disks]
"""
import argparse

import aion_cluster as ac


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keep-disks", action="store_true",
                   help="leave each node's disk (RUN/nodeN/disk.img) for `up --keep-disks`")
    args = p.parse_args()
    run = ac.run_dir()
    # alive() checks /proc/PID/cmdline is this node's QEMU (this run folder's
    # vde_switch or wirefilter), so a pid recycled by an unrelated process is
    # never signalled, only forgotten.
    stopped, net_stopped, stale = ac.stop_cluster(run)
    for n, pid in stopped:
        print(f"down: stopped {n.name} (pid {pid})")
    for part, pid in net_stopped:
        print(f"down: stopped {part.label} (pid {pid})")
    for x in stale:
        name = x.name if isinstance(x, ac.Node) else x.label
        print(f"down: {name} was not running (removed stale pid file)")
    if not stopped and not net_stopped:
        print(f"down: nothing running in {run}")
    disks = ac.node_disks(ac.nodes_in(run)) if args.keep_disks else ac.remove_disks(run)
    if disks:
        names = ", ".join(n.name for n in disks)
        print(f"down: kept the disks of {names} (`up --keep-disks` uses them)"
              if args.keep_disks else f"down: removed the disks of {names}")
