"""A whole cluster in a run folder: how it was made (RUN/cluster.json), its
image (RUN/aion.iso), its nodes, starting nodes again, adding nodes, and
stopping all of it."""
import json
import os
import re
import shutil
import time

from .errors import NodeError
from .mesh import wait_mesh
from .network import Cluster
from .node import READY_RE, Node, nodes_in
from .paths import ISO, MAX_NODES
from .qemu import cmdline_words, node_fwcfg
from .vde import Switch

# Every node of the cluster boots within this long of its start.
READY_TIMEOUT_S = 90


def cluster_nodes(run, count, switch, forward=True, mem_mib=128, kvm=False,
                  iso=ISO, extra_words=(), key=None, node_keys=None, first=1,
                  configured=None, disk=True, cpus=1):
    """The Node objects of nodes first..first+count-1 of a cluster on
    `switch` (a Switch or its path; a Cluster: each node on its own node
    switch): node N boots with aion.node=N, aion.nodes=configured (default
    count: the scheduler's voters are nodes 1..configured) plus extra_words
    on its command line; node1 alone gets the loopback port forward when
    forward is set. key / node_keys ({N: HEX}): cluster keys through fw_cfg
    (node_fwcfg()). disk: each has its disk (the caller makes them:
    Node.create_disk()). cpus: CPUs of each node."""
    last = first + count - 1
    if count < 1 or first < 1 or last > MAX_NODES:
        raise NodeError(f"a cluster has nodes 1 to {MAX_NODES}, not {first}..{last}")
    configured = configured or count
    return [Node(f"node{i}", run, iso=iso, mem_mib=mem_mib, kvm=kvm,
                 cmdline_extra=[f"aion.node={i}", f"aion.nodes={configured}",
                                *cmdline_words(extra_words)],
                 switch=switch.node_switch(i) if isinstance(switch, Cluster) else switch,
                 forward=forward and i == 1,
                 fw_cfg=node_fwcfg(i, key, node_keys), disk=disk, cpus=cpus)
            for i in range(first, last + 1)]


class Progress:
    """`up`'s phase lines: "up: [  12.3 s] build: image ready", the time
    counted from the command's start (AION_T0, set by scripts/lib/cluster-cmd
    before the host setup ran)."""

    def __init__(self, command):
        self.command = command
        try:
            self.t0 = float(os.environ["AION_T0"])
        except (KeyError, ValueError):
            self.t0 = time.time()

    def __call__(self, phase, text):
        print(f"{self.command}: [{time.time() - self.t0:6.1f} s] {phase}: {text}", flush=True)


def config_file(run):
    return run / "cluster.json"


def image(run):
    """The cluster's own copy of the boot image: every node of it boots the
    same image, also when the tree is rebuilt while the cluster runs."""
    return run / "aion.iso"


def save_config(run, **config):
    """RUN/cluster.json: what `up` was asked for, for `add` to make nodes
    alike (configured: the voters' count, mem_mib, kvm, key)."""
    config_file(run).write_text(json.dumps(config, indent=1) + "\n")


def load_config(run):
    try:
        return json.loads(config_file(run).read_text())
    except FileNotFoundError:
        raise NodeError(f"no cluster in {run} (no cluster.json): scripts/cluster/up "
                        f"starts one") from None
    except (OSError, ValueError) as e:
        raise NodeError(f"unreadable {config_file(run)}: {e}") from None


def install_image(run, source=ISO):
    """Copy the image (default: the one built) into the run folder,
    atomically; NodeError when there is none."""
    tmp = image(run).with_suffix(".iso.new")
    try:
        shutil.copyfile(source, tmp)
    except OSError as e:
        raise NodeError(f"cannot copy the image {source} into {run}: {e}") from None
    tmp.replace(image(run))
    return image(run)


def boot(nodes, progress, timeout=READY_TIMEOUT_S, echoes=None):
    """Wait until every node's kernel is ready, `timeout` s in all; one
    progress line per node as it comes. NodeTimeout/NodeError as
    Node.wait_for."""
    pattern = re.compile(READY_RE, re.MULTILINE)
    echoes = echoes or {}
    pending = list(nodes)
    deadline = time.monotonic() + timeout
    while pending:
        for n in list(pending):
            if n.poll(pattern, echoes.get(n.name)):
                progress(n.name, f"booted (pid {n.pid})")
                pending.remove(n)
        if pending and time.monotonic() >= deadline:
            n = pending[0]
            raise NodeError(f"{n.name}: the kernel was not ready within {timeout:g} s"
                            f"\n  last log lines:\n{n.tail()}")
        time.sleep(0.01)


def running_nodes(run):
    """(the nodes of run whose VM runs, [names of the paused ones])."""
    live, paused = [], []
    for n in nodes_in(run):
        if n.alive():
            (paused.append(n.name) if n.vm_status() == "paused" else live.append(n))
    return live, paused


def join_mesh(run, progress, timeout):
    """Wait until every running node sees every other one alive (paused
    nodes cannot answer: they are left out, and said so). Returns the
    views (wait_mesh())."""
    live, paused = running_nodes(run)
    skip = f" ({', '.join(paused)} paused: not asked)" if paused else ""
    progress("mesh", f"waiting until {', '.join(n.name for n in live)} see each other "
                     f"alive{skip}")
    views = wait_mesh(live, timeout)
    progress("mesh", f"formed: {len(live)} nodes, each sees every other alive")
    return views


def start_node(run, name, die_with_parent=False):
    """Boot a node of the run folder that is not running, as it was
    (Node.load()): its own switch and wire are started again if they are
    gone. Returns the Node (started, not yet ready)."""
    node = Node.load(run, name)
    if node.alive():
        raise NodeError(f"{name} is already running (pid {node.pid})")
    node.check_disk()
    net = Cluster.in_run(run)
    net.start_node_net(node.number, die_with_parent)
    return node.start(die_with_parent)


def add_nodes(run, count, die_with_parent=False):
    """Nodes N+1..N+count for the running cluster of run (N: its highest
    node number), made like `up` made the others (RUN/cluster.json), on
    their own switches and wires. Returns them started, not yet ready;
    NodeError (and nothing left running) on failure."""
    config = load_config(run)
    numbers = [n.number for n in nodes_in(run)]
    first = max(numbers, default=0) + 1
    net = Cluster(run, numbers + list(range(first, first + count)))
    nodes = cluster_nodes(run, count, net, forward=False, mem_mib=config["mem_mib"],
                          kvm=config["kvm"], iso=image(run), key=config.get("key"),
                          first=first, configured=config["configured"],
                          cpus=config.get("cpus", 1))
    old = node_disks(nodes)
    if old:
        # remove_nodes() below would delete them: refuse before anything.
        raise NodeError(f"{old[0].name} has a disk of an earlier cluster ({old[0].disk_file}); "
                        f"remove it, or `down` removes every disk")
    try:
        for n in nodes:
            n.create_disk()
            net.start_node_net(n.number, die_with_parent)
            n.start(die_with_parent)
    except BaseException:
        remove_nodes(run, nodes)
        raise
    return nodes


def remove_nodes(run, nodes):
    """Undo add_nodes(): stop the nodes, their wires and switches, and
    remove their folders."""
    net = Cluster(run, [n.number for n in nodes])
    for n in nodes:
        n.stop()
        net.wires[n.number].stop()
        net.node_switches[n.number].stop()
        shutil.rmtree(n.dir, ignore_errors=True)


def node_disks(nodes):
    """The nodes (of a list) whose disk file exists."""
    return [n for n in nodes if n.disk_file.exists()]


def remove_disks(run):
    """Delete the disk of every node of the run folder; the nodes whose
    disk was removed."""
    gone = node_disks(nodes_in(run))
    for n in gone:
        n.disk_file.unlink()
    return gone


def running_parts(run):
    """What runs in the run folder: ([alive nodes], switch or None)."""
    switch = Switch(run)
    return ([n for n in nodes_in(run) if n.alive()],
            switch if switch.alive() else None)


def running_net(run):
    """The network processes alive in the run folder (wires, node switches,
    the central switch; Cluster.net_parts() order)."""
    return [p for p in Cluster.in_run(run).net_parts() if p.alive()]


def stop_cluster(run):
    """Stop every node, then the wires, the node switches and the central
    switch, by their recorded pids. Returns ([(node, pid)], [(network part,
    pid)], [nodes and parts whose pid file was stale])."""
    nodes = nodes_in(run)
    net = Cluster(run, [n.number for n in nodes], nodes)
    stale = [x for x in nodes + net.net_parts() if x.pid_file.exists() and not x.alive()]
    stopped, net_stopped = net.stop()
    return stopped, net_stopped, stale
