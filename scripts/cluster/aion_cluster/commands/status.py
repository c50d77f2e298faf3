"""List the switch and the nodes in the run folder: alive/paused/stopped/
dead, partition group and link loss, pid, forwarded port, console socket;
a `partition:` line shows the groups. --json prints the same as one JSON
object for scripts (docs/host-scripts.md).

Usage: status [--json]
"""
import argparse
import json

import aion_cluster as ac


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="one JSON object")
    args = p.parse_args()
    run = ac.run_dir()
    net = ac.Cluster.in_run(run)
    nodes = ac.nodes_in(run)
    if not net.has_fault_net():
        net_cols = None             # one plain switch: no groups, no loss
    else:
        net_cols = net
    if args.json:
        print(json.dumps(ac.status_data(run, net_cols or net, nodes), indent=1))
        return
    if not nodes and not net.switch.pid_file.exists():
        print(f"no cluster in {run}")
        return
    print(f"run folder: {run}")
    print(ac.switch_line(net.switch))
    for line in ac.net_lines(net_cols) if net_cols is not None else []:
        print(line)
    print("\n".join(ac.cluster_table(nodes, net=net_cols)))
