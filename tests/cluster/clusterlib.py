"""The harness the cluster tests share: a VDE switch and nodes in a
temporary run folder, always stopped by pid, and PASS/FAIL reporting."""
import contextlib
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "cluster"))
import aion_cluster as ac  # noqa: E402


def check(cond, message):
    if not cond:
        raise ac.NodeError(message)


READY_TIMEOUT_S = 90


@contextlib.contextmanager
def cluster(iso, words_per_node, prefix="aion-cluster-", forward=False, *,
            key=None, node_keys=None, wait_mesh=False, mesh_timeout=ac.MESH_TIMEOUT_S):
    """Node i (from 1) boots with aion.node=i plus words_per_node[i-1];
    with forward, node 1 also gets the loopback port forward NIC.
    key: cluster key (hex) of every node, node_keys {i: hex} of single nodes
    (fw_cfg, ac.node_fwcfg()); none: the image's default key. wait_mesh:
    before yielding, wait for `kernel: ready` and then ac.wait_mesh() (every
    node sees every other one alive, mesh_timeout seconds)."""
    run = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    switch = ac.Switch(run)
    nodes = []
    try:
        switch.start(die_with_parent=True)
        nodes = [ac.Node(f"node{i}", run, iso=iso, switch=switch, forward=forward and i == 1,
                         cmdline_extra=[f"aion.node={i}", *words],
                         fw_cfg=ac.node_fwcfg(i, key, node_keys))
                 for i, words in enumerate(words_per_node, 1)]
        for n in nodes:
            n.start(die_with_parent=True)
        if wait_mesh:
            ac.wait_all(nodes, ac.READY_RE, READY_TIMEOUT_S)
            ac.wait_mesh(nodes, mesh_timeout)
        yield nodes
        check("kernel: fault " not in "".join(n.text for n in nodes), "a kernel faulted")
    finally:
        ac.stop_nodes(nodes)
        switch.stop()
        shutil.rmtree(run, ignore_errors=True)


def main(test):
    ac.exit_on_signals()
    try:
        test(Path(sys.argv[1]))
    except ac.NodeError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("PASS")
