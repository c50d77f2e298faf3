"""What `up` and `status` print: the node table and the network lines,
and the same as data for `status --json`."""
from .errors import NodeError
from .network import format_groups
from .qemu import FORWARD_GUEST_PORT, mesh_addr, mesh_mac


def vm_state(node):
    """"alive", "paused" (or another QEMU run state that is not running),
    "stopped" (powered off by `stop`) or "dead" (killed, or crashed)."""
    if not node.alive():
        return "stopped" if node.stopped_file.exists() else "dead"
    vm = node.vm_status()
    return "alive" if vm in (None, "running") else vm


def node_state(node):
    """vm_state() as the table shows it: "alive (paused)" for a paused VM."""
    state = vm_state(node)
    return state if state in ("alive", "stopped", "dead") else f"alive ({state})"


def net_columns(net):
    """{number: (group, loss)} for cluster_table(): the node's partition
    group (1.. in Cluster.groups() order, "-" when its wire has no central
    port) and its wire's loss ("0%", "25%", "-" when the wire is dead)."""
    try:
        groups = net.groups() if net.switch.alive() else []
    except NodeError:
        groups = []
    group_of = {n: str(i) for i, g in enumerate(groups, 1) for n in g}
    out = {}
    for n, wire in net.wires.items():
        try:
            loss = f"{wire.loss():g}%" if wire.alive() else "-"
        except NodeError:
            loss = "?"
        out[n] = (group_of.get(n, "-"), loss)
    return out


def cluster_table(nodes, state=node_state, net=None):
    """The node table of up and status, as lines: node, address (the mesh
    address, mesh_addr()), state (state(node)), with a Cluster `net` its
    partition group and link loss (net_columns()), pid, forwarded port,
    console socket."""
    cols = net_columns(net) if net is not None else {}
    rows = [("node", "address", "state") + (("group", "loss") if net is not None else ())
            + ("pid", "forward", "console")]
    for n in nodes:
        alive = n.alive()
        port = n.forward_port if alive else None
        rows.append((n.name, mesh_addr(n.number), state(n))
                    + (cols.get(n.number, ("-", "-")) if net is not None else ())
                    + (str(n.pid) if alive else "-",
                       f"127.0.0.1:{port}->{FORWARD_GUEST_PORT}" if port else "-",
                       str(n.console_sock) if alive else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def switch_line(switch):
    if switch.alive():
        return (f"switch: alive, pid {switch.pid}, socket {switch.sock}, "
                f"management {switch.mgmt_sock}")
    return "switch: dead" + (f" (stale pid file: {switch.pid})" if switch.pid else "")


def net_lines(net):
    """status's lines on the network: the partition, and each node switch
    or wire that is not running (a node without them has no link)."""
    lines = []
    if net.switch.alive():
        try:
            groups = net.groups()
            lines.append("partition: " + (format_groups(groups) if len(groups) > 1
                                          else "none (one network)"))
        except NodeError as e:
            lines.append(f"partition: unknown ({e})")
    for p in net.net_parts()[:-1]:
        if not p.alive():
            lines.append(f"{p.label}: dead" + (f" (stale pid file: {p.pid})" if p.pid else ""))
    return lines


def status_data(run, net, nodes):
    """`status --json`: the run folder, the switch, the partition and each
    node, as data (docs/host-scripts.md lists the fields)."""
    cols = net_columns(net) if net is not None else {}
    groups = None
    if net is not None and net.switch.alive():
        try:
            groups = net.groups()
        except NodeError:
            groups = None
    out = {"run": str(run),
           "switch": {"alive": net.switch.alive() if net else False,
                      "pid": net.switch.pid if net and net.switch.alive() else None,
                      "socket": str(net.switch.sock) if net else None},
           "partition": groups,
           "nodes": []}
    for n in nodes:
        alive = n.alive()
        group, loss = cols.get(n.number, ("-", "-"))
        out["nodes"].append({
            "name": n.name, "number": n.number, "address": mesh_addr(n.number),
            "mac": mesh_mac(n.number), "state": vm_state(n),
            "pid": n.pid if alive else None,
            "forward_port": n.forward_port if alive else None,
            "console": str(n.console_sock) if alive else None,
            "serial_log": str(n.serial_log),
            "disk": str(n.disk_file) if n.disk_file.exists() else None,
            "group": int(group) if group.isdigit() else None,
            "loss_percent": float(loss[:-1]) if loss.endswith("%") else None})
    return out
