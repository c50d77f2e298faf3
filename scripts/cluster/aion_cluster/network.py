"""A cluster's network: the central switch, a switch and a wire per node;
partitions (VLANs) and loss."""
import signal
from pathlib import Path

from .errors import NodeError
from .node import Node, node_number, nodes_in, stop_nodes
from .proc import Tracked
from .vde import CENTRAL_PORTS, Switch, Wire


def as_number(node):
    """The node number of a Node, an int, "node2" or "2"."""
    if isinstance(node, Node):
        return node.number
    if isinstance(node, int):
        return node
    text = str(node)
    number = int(text) if text.isdigit() else node_number(text)
    if number is None:
        raise ValueError(f"{node!r} is not a node (expected nodeN or N)")
    return number


def parse_groups(groups, numbers):
    """Partition groups as lists of node numbers, checked against the
    cluster's node numbers: every node exactly once, at least one group,
    none empty. groups: ["1,2", "3"] (the `partition` arguments) or
    [[1, 2], [3]] (numbers, names or Nodes). ValueError otherwise."""
    out = []
    for g in groups:
        items = [x for x in g.split(",") if x] if isinstance(g, str) else list(g)
        if not items:
            raise ValueError("a partition group is empty")
        out.append([as_number(x) for x in items])
    if not out:
        raise ValueError("no partition groups given")
    flat = [n for g in out for n in g]
    dup = sorted({n for n in flat if flat.count(n) > 1})
    unknown = sorted(set(flat) - set(numbers))
    missing = sorted(set(numbers) - set(flat))
    for what, which in (("listed twice", dup), ("not in the cluster", unknown),
                        ("not in any group", missing)):
        if which:
            raise ValueError(f"{', '.join(f'node{n}' for n in which)}: {what} "
                             f"(every node of {', '.join(map(str, numbers))} once)")
    return out


def format_groups(groups):
    """[[1], [2, 3]] -> "1 | 2,3"."""
    return " | ".join(",".join(map(str, g)) for g in groups)


class Cluster:
    """A cluster's network and (optionally) its Node objects.

    Topology: the central switch RUN/switch; for each node N its own switch
    RUN/nodeN/switch, where its mesh NIC plugs in, and a wirefilter (Wire)
    joining that switch to port N of the central switch. The node switches
    and wires do not depend on QEMU: a node killed and started again plugs
    into its own switch again, with its link settings unchanged.

    Faults: loss(node, percent) sets the node's wire loss; partition(groups)
    puts each group's central ports on a VLAN of its own (group i: untagged
    VLAN i), so no frame crosses groups; heal() puts every port back on
    VLAN 0. Loss and partition are independent: heal() keeps loss settings.
    All state lives in the processes (port/print, showinfo), so a Cluster
    made from the run folder (Cluster.in_run()) sees what `up` started.
    """

    def __init__(self, run, numbers, nodes=()):
        self.run = Path(run)
        self.numbers = sorted(numbers)
        self.switch = Switch(self.run, numports=CENTRAL_PORTS)
        self.node_switches = {n: Switch(self.run / f"node{n}") for n in self.numbers}
        self.wires = {n: Wire(self.run, n) for n in self.numbers}
        self.nodes = list(nodes)

    @classmethod
    def in_run(cls, run):
        """The cluster of the nodes that have a folder in run."""
        return cls(run, [n.number for n in nodes_in(run)])

    # The nodes, list-like: `for n in c`, `n1, n2 = c`, `c[0]` (but a
    # Cluster is true even before it has Node objects).
    def __bool__(self):
        return True

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    def __getitem__(self, i):
        return self.nodes[i]

    def node_switch(self, node):
        return self.node_switches[self._known(node)]

    def _known(self, node):
        number = as_number(node)
        if number not in self.wires:
            raise NodeError(f"no node{number} in this cluster "
                            f"(nodes {', '.join(map(str, self.numbers))})")
        return number

    def has_fault_net(self):
        """Whether the run folder holds (or held) node switches and wires,
        as `up` of this tree starts them; a cluster on one plain switch
        (older `up`) has none."""
        return any(p.pid_file.exists() or p.alive()
                   for p in list(self.wires.values()) + list(self.node_switches.values()))

    def _wire(self, node):
        """node's running Wire, or NodeError."""
        wire = self.wires[self._known(node)]
        if not wire.alive():
            raise NodeError(f"{wire.label} is not running (the node switches and wires "
                            f"come with scripts/cluster/up; `status` shows them)")
        return wire

    def net_parts(self):
        """Every network process, in stop order: wires, node switches, the
        central switch (a wire whose switch is gone spins on the CPU)."""
        return ([self.wires[n] for n in self.numbers]
                + [self.node_switches[n] for n in self.numbers] + [self.switch])

    def start_net(self, die_with_parent=False):
        """Start the central switch, then each node's switch and wire. On
        failure everything started is stopped and NodeError raised."""
        try:
            self.switch.start(die_with_parent)
            for n in self.numbers:
                self.node_switches[n].start(die_with_parent)
                self.wires[n].start(die_with_parent)
        except BaseException:
            self.stop_net()
            raise
        return self

    def start_node_net(self, node, die_with_parent=False):
        """Start node's own switch and its wire to the central switch where
        they are not running (a node added to a running cluster, or one
        whose wire died). Returns the parts started. NodeError when the
        central switch is not running: there is no cluster to join."""
        number = self._known(node)
        if not self.switch.alive():
            raise NodeError(f"node{number}: the cluster's switch is not running "
                            f"(stopped by `down`?); scripts/cluster/up starts a cluster")
        started = []
        for part in (self.node_switches[number], self.wires[number]):
            if not part.alive():
                part.start(die_with_parent)
                started.append(part)
        return started

    def stop_net(self):
        """Stop the network by pid (net_parts() order; SIGTERM to all wires
        first). Returns [(part, pid)] of those that were running."""
        running = [(p, p.pid) for p in self.net_parts() if p.alive()]
        for p, pid in running:
            if isinstance(p, Wire):
                Tracked._signal(pid, signal.SIGTERM)
        for p in self.net_parts():
            p.stop()
        return running

    def stop(self):
        """Stop the nodes (stop_nodes()), then the network. Returns
        ([(node, pid)], [(part, pid)])."""
        return stop_nodes(self.nodes), self.stop_net()

    def loss(self, node, percent):
        """Node's wire drops percent % of the frames each way (0: none)."""
        self._wire(node).set_loss(percent)

    def losses(self):
        """{number: loss percent, None when the wire is not running}."""
        return {n: w.loss() if w.alive() else None for n, w in self.wires.items()}

    def vlans(self):
        """{number: untagged VLAN of its central port, None if no port}."""
        ports = self.switch.ports()
        return {n: ports.get(n) for n in self.numbers}

    def partition(self, groups):
        """Split the cluster: groups as parse_groups() takes them (every
        node exactly once). Returns the groups as lists of numbers."""
        groups = parse_groups(groups, self.numbers)
        for n in self.numbers:
            self._wire(n)
        for vlan in range(1, len(groups) + 1):
            try:
                self.switch.command(f"vlan/create {vlan}")
            except NodeError as e:
                if "1017 " not in str(e):      # File exists: made earlier
                    raise
        self._set_vlans({n: vlan for vlan, g in enumerate(groups, 1) for n in g})
        return groups

    def heal(self):
        """Every node back on one network (VDE VLAN 0); loss stays."""
        for n in self.numbers:
            self._wire(n)
        self._set_vlans({n: 0 for n in self.numbers})

    def _set_vlans(self, vlan_of):
        for n, vlan in vlan_of.items():
            try:
                self.switch.command(f"port/setvlan {n} {vlan}")
            except NodeError as e:
                raise NodeError(f"node{n}: cannot move its central port {n} to "
                                f"VLAN {vlan} (is its wire running?): {e}") from None

    def groups(self):
        """The partition as groups of node numbers ([all] when whole), by
        VLAN; nodes without a central port are left out."""
        by_vlan = {}
        for n, vlan in sorted(self.vlans().items()):
            if vlan is not None:
                by_vlan.setdefault(vlan, []).append(n)
        return [by_vlan[v] for v in sorted(by_vlan)]
