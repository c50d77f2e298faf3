"""Start an Aion cluster and wait until every node is ready.

Installs what the host lacks and builds what is stale (scripts/lib/cluster-cmd
ran scripts/setup-host before this), copies the image into the run folder,
starts the network (the central VDE switch, then for each node its own
switch and the wirefilter joining it to the central one:
docs/host-scripts.md), gives each node a disk (RUN/nodeN/disk.img, 64 MiB,
sparse, an ext4 file system in its data region, --data DIR's files in it;
with --keep-disks the ones an earlier cluster left are used, and
without it up refuses to start when there are any), then starts the nodes
(all at once), waits until every
node's `nodes` command sees every node alive (unless --no-wait), and prints
a table. Each phase prints one line with the time since the command
started; -v also shows the nodes' consoles. The VMs and the network keep
running after this exits; scripts/cluster/down stops them.
"""
import argparse
import os
import shutil
import sys

import aion_cluster as ac
from aion_cluster import cluster as lifecycle

DEFAULT_NODES = 3


def key_arg(text):
    try:
        return ac.check_key(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def node_key_arg(text):
    """"N=HEX" -> (N, HEX)."""
    number, sep, key = text.partition("=")
    if not sep or not number.isdigit():
        raise argparse.ArgumentTypeError(f"expected N=HEX, not {text!r}")
    return int(number), key_arg(key)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", dest="count", type=int, default=DEFAULT_NODES, metavar="N",
                   help=f"number of nodes, node1..nodeN (default {DEFAULT_NODES}, "
                        f"at most {ac.MAX_NODES})")
    p.add_argument("--kvm", action="store_true", help="use KVM if /dev/kvm is usable (default: TCG)")
    p.add_argument("-m", dest="mem_mib", type=int, default=128, metavar="MIB",
                   help="memory per node in MiB (default 128)")
    p.add_argument("--cpus", type=int, default=1, choices=range(1, 9), metavar="N",
                   help="CPUs per node, 1 to 8 (default 1, so that a 2-core host runs "
                        "many nodes; an idle CPU halts)")
    p.add_argument("--forward", action=argparse.BooleanOptionalAction, default=True,
                   help=f"forward a free 127.0.0.1 port to node1's TCP port "
                        f"{ac.FORWARD_GUEST_PORT} (default: on)")
    p.add_argument("--key", type=key_arg, metavar="HEX",
                   help=f"cluster key of every node, 16 to 64 bytes in hex (fw_cfg "
                        f"{ac.CLUSTER_KEY_FWCFG}; default: a random 32-byte key, new for "
                        f"each cluster; both kept in RUN/{ac.KEY_FILE}, mode 0600)")
    p.add_argument("--node-key", dest="node_keys", type=node_key_arg, action="append",
                   default=[], metavar="N=HEX",
                   help="cluster key of node N alone (overrides --key; repeatable)")
    p.add_argument("--image", metavar="ISO",
                   help="boot this image instead of building one (no setup, no build)")
    p.add_argument("--keep-disks", action="store_true",
                   help="boot with the disks an earlier cluster left in the run folder "
                        "(`down --keep-disks`); nodes without one get a new one. Without "
                        "it, up refuses to start when any disk is there")
    p.add_argument("--data", metavar="DIR",
                   help="put the files of DIR in every new disk's data file system "
                        "(the host's mke2fs -d; docs/storage.md)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show every node's console output as it arrives")
    p.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                   help=f"wait until every node sees every other one alive in its "
                        f"`nodes` view ({ac.MESH_TIMEOUT_S} s; default: on)")
    args = p.parse_args()
    if not 1 <= args.count <= ac.MAX_NODES:
        p.error(f"-n must be between 1 and {ac.MAX_NODES}")
    if args.data and not os.path.isdir(args.data):
        p.error(f"--data {args.data}: not a folder")
    for number, _key in args.node_keys:
        if not 1 <= number <= args.count:
            p.error(f"--node-key {number}=...: there is no node{number} (-n {args.count})")
    args.node_keys = dict(args.node_keys)
    return args


def refuse_running(run):
    """Exit when anything of a cluster still runs in run; else clear what
    a dead one left (stale pid files, sockets)."""
    nodes_up, _switch_up = ac.running_parts(run)
    net_up = ac.running_net(run)
    if nodes_up or net_up:
        what = [f"{n.name} (pid {n.pid})" for n in nodes_up]
        what += [f"{p.label} (pid {p.pid})" for p in net_up]
        sys.exit(f"up: a cluster is already running in {run}: {', '.join(what)}\n"
                 f"up: stop it first with scripts/cluster/down")
    ac.stop_cluster(run)


def refuse_stale_disks(run, args):
    """Exit when disks of an earlier cluster are in run and up was not told
    to use them, or would have to delete one (a node beyond -n)."""
    old = ac.node_disks(ac.nodes_in(run))
    if old and not args.keep_disks:
        listed = ", ".join(f"{n.name} ({n.disk_file})" for n in old)
        sys.exit(f"up: disks of an earlier cluster are in {run}: {listed}\n"
                 f"up: `up --keep-disks` boots with them, `down` removes them")
    beyond = [n for n in old if n.number > args.count]
    if beyond:
        sys.exit(f"up: {beyond[0].name} has a disk ({beyond[0].disk_file}) but the cluster "
                 f"has {args.count} nodes: `up -n {beyond[0].number} --keep-disks` keeps "
                 f"it, `down` removes every disk")


def make_disks(nodes, progress, made, data=None):
    """Each node's disk: kept when it has one (--keep-disks), else new,
    with an ext4 file system in its data region (data: a folder whose
    files it holds); the nodes given a new one are appended to made (a
    failed up removes those)."""
    kept = ac.node_disks(nodes)
    for n in nodes:
        if n not in kept:
            n.create_disk(first=True, data=data)
            made.append(n)
    progress("disks", f"{len(made)} new ({ac.DISK_MIB} MiB each, sparse, ext4 in the data "
                      f"region{', files of ' + str(data) if data else ''}), "
                      f"{len(kept)} kept: RUN/nodeN/{ac.DISK_FILE}")


def prepare(run, args, progress):
    """Setup and build; the image copied into the run folder."""
    run.mkdir(parents=True, exist_ok=True)
    # Folders of nodes beyond this cluster's size would show up in status.
    for n in ac.nodes_in(run):
        if n.number > args.count:
            shutil.rmtree(n.dir)
    if args.image:
        progress("build", f"image given: {lifecycle.install_image(run, args.image)}")
    else:
        progress("setup", "host packages, lwIP and mbedTLS sources ready")
        log = run / "build.log"
        progress("build", f"building what is stale (output: {log})")
        with open(log, "w") as out:
            ac.build(log=out)
        progress("build", f"image ready: {lifecycle.install_image(run)}")


def cluster_key(run, args, progress):
    """RUN/cluster-key: --key, else the one kept with the disks
    (--keep-disks), else a new random one. Returns the nodes' key "@PATH"
    (fw_cfg file=: the key stays off QEMU's command line, and a node started
    again reads the key in force)."""
    path = run / ac.KEY_FILE
    if args.key:
        ac.write_key_file(path, args.key)
        how = "given (--key)"
    elif args.keep_disks and path.exists():
        ac.read_key_file(path)
        how = "kept"
    else:
        ac.write_key_file(path, ac.new_key())
        how = f"new, {ac.KEY_NEW_BYTES} random bytes"
    progress("key", f"{how}: RUN/{ac.KEY_FILE}")
    return f"@{path}"


def launch(run, args, net, nodes, progress):
    net.start_net()
    progress("network", f"switch pid {net.switch.pid} at {net.switch.sock}, "
                        f"{args.count} node switches and wires")
    for n in nodes:
        n.start()
        fwd = f", 127.0.0.1:{n.forward_port} -> port {ac.FORWARD_GUEST_PORT}" \
            if n.forward_port else ""
        progress(n.name, f"started (pid {n.pid}, {ac.mesh_addr(n.number)}{fwd})")
    echoes = {n.name: ac.LineEcho(n.name) for n in nodes} if args.verbose else None
    lifecycle.boot(nodes, progress, echoes=echoes)
    if not args.wait:
        return None
    try:
        views = lifecycle.join_mesh(run, progress, ac.MESH_TIMEOUT_S)
    except ac.NodeTimeout as e:
        raise ac.NodeError(f"{e}\nup: --no-wait skips this wait") from None
    return views[nodes[0].name][1]


def main():
    args = parse_args()
    run = ac.run_dir()
    progress = lifecycle.Progress("up")
    refuse_running(run)
    refuse_stale_disks(run, args)
    try:
        prepare(run, args, progress)
        key = cluster_key(run, args, progress)
    except (ac.NodeError, ValueError) as e:
        sys.exit(f"up: {e}")
    lifecycle.save_config(run, configured=args.count, mem_mib=args.mem_mib, kvm=args.kvm,
                          key=key, cpus=args.cpus)
    net = ac.Cluster(run, range(1, args.count + 1))
    nodes = net.nodes = ac.cluster_nodes(run, args.count, net, forward=args.forward,
                                         mem_mib=args.mem_mib, kvm=args.kvm, key=key,
                                         node_keys=args.node_keys, cpus=args.cpus,
                                         iso=lifecycle.image(run))
    ac.exit_on_signals()
    made = []
    try:
        make_disks(nodes, progress, made, args.data)
        members = launch(run, args, net, nodes, progress)
    except (ac.NodeError, SystemExit) as e:
        # A cluster that did not come up is not left half running, nor
        # with disks the next up would take for an earlier cluster's.
        for n, pid in ac.stop_nodes(nodes):
            print(f"up: stopped {n.name} (pid {pid})", file=sys.stderr)
        for part, pid in net.stop_net():
            print(f"up: stopped {part.label} (pid {pid})", file=sys.stderr)
        for n in made:
            n.disk_file.unlink(missing_ok=True)
        if isinstance(e, SystemExit):
            raise
        sys.exit(f"up: {e}")
    print()
    print(ac.switch_line(net.switch))
    print("\n".join(ac.cluster_table(
        nodes, state=lambda n: members[n.number]["state"] if members else "booted",
        net=net)))
