"""The harness the cluster tests share: a VDE switch and nodes in a
temporary run folder, always stopped by pid, and PASS/FAIL reporting.
With cluster(..., faults=True) the network is the one `up` builds (a switch
per node, joined to the central switch by a wirefilter) and the test gets an
ac.Cluster with partition(), heal() and loss().
Also the shell and scheduler helpers several tests and benches use:
shell(), jobs(), settle(), kv_roles(), first_after_epoch() and
wait_after_epoch()."""
import collections
import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "cluster"))
import aion_cluster as ac  # noqa: E402


def check(cond, message):
    if not cond:
        raise ac.NodeError(message)


READY_TIMEOUT_S = 90
SETTLE_S = 20
# A job's line in `jobs`: how many instances it wants, its instances as
# [(node, role)] and the epoch of its primary (replicated jobs).
Job = collections.namedtuple("Job", "want inst epoch")
NO_JOB = Job(0, [], 0)
# meshtest's kv-counter line for a call that got through after failures,
# after a long wait or from a new primary: the epoch that answered it.
KV_RESUMED_RE = (r"meshtest: kv-counter resumed gap_ms=(?P<gap>\d+) err=(?P<err>\S+) "
                 r"epoch=(?P<epoch>\d+) prev_epoch=(?P<prev>\d+) op=(?P<op>\w+) seq=(?P<seq>\d+)")
# Its last line: acknowledged increments, the key's value read at the end,
# and the updates its own per-answer checks found lost or doubled.
KV_DONE_RE = (r"meshtest: kv-counter done acked=(?P<acked>\d+) value=(?P<value>\S+) "
              r"retries=(?P<retries>\d+) lost=(?P<lost>\d+) doubled=(?P<doubled>\d+) "
              r"key=(?P<key>\S+) err=(?P<err>\S+)")


@contextlib.contextmanager
def cluster(iso, words_per_node, prefix="aion-cluster-", forward=False, *,
            key=None, node_keys=None, node_fw_cfg=None, wait_mesh=False,
            mesh_timeout=ac.MESH_TIMEOUT_S, faults=False, run_dir=None, hub=False,
            node_data=None, cpus=None):
    """Node i (from 1) boots with aion.node=i, aion.nodes=len(words_per_node)
    plus words_per_node[i-1];
    with forward, node 1 also gets the loopback port forward NIC.
    key: cluster key (hex) of every node, node_keys {i: hex} of single nodes
    (fw_cfg, ac.node_fwcfg()); none: a random key for this cluster, as `up`
    makes (there is no default key). node_fw_cfg {i: {name: text}}: node i's
    fw_cfg files exactly (e.g. {} for no key at all). wait_mesh:
    before yielding, wait for `kernel: ready` and then ac.wait_mesh() (every
    node sees every other one alive, mesh_timeout seconds). Every node has
    a new disk of its own (RUN/nodeN/disk.img), as `up` gives them.
    Yields the list of nodes, all on one switch; with faults, the ac.Cluster
    instead (it iterates and indexes like that list; .nodes is the list):
    each node on its own switch and wirefilter, so the test can call
    partition(groups), heal() and loss(node, percent) on it.
    hub: the one switch forwards every frame to every port (ac.Switch).
    node_data {i: folder}: node i's data file system starts with the
    folder's files (mke2fs -d, as `up --data`).
    run_dir: the run folder to use (made if missing) and keep afterwards,
    with the nodes' logs (bench/nemesis); none: a temporary one, removed.
    cpus: each node's CPUs; none: $AION_TEST_CPUS, else 1 (docs/smp.md)."""
    run = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    run.mkdir(parents=True, exist_ok=True)
    key = key or ac.new_key()
    node_fw_cfg = node_fw_cfg or {}
    cpus = cpus or int(os.environ.get("AION_TEST_CPUS") or 1)
    net = ac.Cluster(run, range(1, len(words_per_node) + 1)) if faults else None
    switch = ac.Switch(run, hub=hub)
    nodes = []
    try:
        if net is not None:
            net.start_net(die_with_parent=True)
        else:
            switch.start(die_with_parent=True)
        nodes = [ac.Node(f"node{i}", run, iso=iso, forward=forward and i == 1,
                         switch=net.node_switch(i) if net is not None else switch,
                         cmdline_extra=[f"aion.node={i}", f"aion.nodes={len(words_per_node)}",
                                        *words],
                         fw_cfg=node_fw_cfg.get(i, ac.node_fwcfg(i, key, node_keys)),
                         disk=True, cpus=cpus)
                 for i, words in enumerate(words_per_node, 1)]
        if net is not None:
            net.nodes = nodes
        for n in nodes:
            # each its own, as `up` gives them; gone with the folder
            n.create_disk(first=True, data=(node_data or {}).get(int(n.name[4:])))
            n.start(die_with_parent=True)
        if wait_mesh:
            ac.wait_all(nodes, ac.READY_RE, READY_TIMEOUT_S)
            ac.wait_mesh(nodes, mesh_timeout)
        yield net if net is not None else nodes
        check("kernel: fault " not in "".join(n.text for n in nodes), "a kernel faulted")
    finally:
        ac.stop_nodes(nodes)
        if net is not None:
            net.stop_net()
        else:
            switch.stop()
        if os.environ.get("AION_KEEP_RUN") and not run_dir:     # debugging: the logs stay
            print(f"run folder kept: {run}", file=sys.stderr)
        elif not run_dir:
            shutil.rmtree(run, ignore_errors=True)


def states(node, timeout=10.0):
    """{number: state} of node's `nodes` view (ac.mesh_view())."""
    return {k: v["state"] for k, v in ac.mesh_view(node, timeout)[1].items()}


def wait_states(expect, since, timeout, poll_s=0.05):
    """Wait until each node's `nodes` view has the expected states:
    expect {Node: {number: state}} (numbers not listed: any state). Polls
    every node that has not matched yet, `timeout` seconds in all. Returns
    {node name: seconds from `since` (a time.monotonic() value) to the
    answer of the first `nodes` that matched}. NodeTimeout naming what each
    late node saw."""
    deadline = time.monotonic() + timeout
    done, seen = {}, {}
    while len(done) < len(expect):
        for node, want in expect.items():
            if node.name in done:
                continue
            try:
                seen[node.name] = got = states(node, max(1.0, min(10.0, deadline - time.monotonic())))
            except (ValueError, ac.NodeTimeout) as e:
                seen[node.name] = str(e)
                continue
            if all(got.get(k) == v for k, v in want.items()):
                done[node.name] = time.monotonic() - since
        if len(done) < len(expect):
            if time.monotonic() >= deadline:
                raise ac.NodeTimeout(
                    f"not within {timeout:g} s: " + "; ".join(
                        f"{n.name} wants {w}, sees {seen.get(n.name)}"
                        for n, w in expect.items() if n.name not in done))
            time.sleep(poll_s)
    return done


def shell(node, command, timeout=30):
    """(status, output lines) of a shell command on node."""
    lines = []
    status = ac.shell_exec(node, command, timeout=timeout, out=lines.append)
    return status, lines


def jobs(node):
    """(leader, {job: Job}) from `jobs`."""
    status, lines = shell(node, "jobs")
    check(status == 0, f"{node.name}: jobs failed: {lines}")
    return parse_jobs(node.name, lines)


def parse_jobs(name, lines):
    """(leader, {job: Job}) from the output lines of `jobs` on node name;
    NodeError without a scheduler line."""
    head = next((ln for ln in lines if ln.startswith("scheduler ")), "")
    m = re.search(r"leader=(\d+)", head)
    check(m, f"{name}: no scheduler line: {lines}")
    table = {}
    for ln in lines:
        j = re.match(r"job=(\S+) want=(\d+) have=\d+ epoch=(\d+).* inst=(\S*)$", ln)
        if j:
            inst = [(int(a), b) for a, b in re.findall(r"(\d+):(\w+)", j.group(4))]
            table[j.group(1)] = Job(int(j.group(2)), inst, int(j.group(3)))
    return int(m.group(1)), table


def settle(nodes, want, timeout=SETTLE_S, leaders=None):
    """Waits until every node in nodes has the same leader (one of leaders,
    if given) and job table, and want(table) holds. Returns (leader, table)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        views = [jobs(n) for n in nodes]
        last = views
        if all(v == views[0] for v in views) and views[0][0] and want(views[0][1]) and \
                (leaders is None or views[0][0] in leaders):
            return views[0]
        time.sleep(0.5)
    raise ac.NodeError(f"no agreement within {timeout}s: {last}")


def kv_roles(table):
    """{node: role} of the kv job's instances in a `jobs` table."""
    return dict(table.get("kv", NO_JOB).inst)


def first_after_epoch(regex, text, epoch):
    """The first match of regex (with a group "epoch") in text whose epoch
    is above epoch, and how many matches under an older epoch came before
    it: a call answered under the epoch of a primary that was since killed
    is no sign that its successor serves. (None, count) when none is yet."""
    older = 0
    for m in re.finditer(regex, text, re.MULTILINE):
        if int(m.group("epoch")) > epoch:
            return m, older
        older += 1
    return None, older


def wait_after_epoch(node, regex, epoch, timeout, pos=0):
    """node.wait_for(regex), but for the first line whose epoch is above
    epoch (see first_after_epoch)."""
    deadline = time.monotonic() + timeout
    while True:
        m = node.wait_for(regex, max(0.0, deadline - time.monotonic()), pos=pos)
        if int(m.group("epoch")) > epoch:
            return m
        pos = m.end()


def main(test):
    ac.exit_on_signals()
    try:
        test(Path(sys.argv[1]))
    except ac.NodeError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("PASS")
