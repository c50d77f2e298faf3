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


@contextlib.contextmanager
def cluster(iso, words_per_node, prefix="aion-cluster-", forward=False):
    """Node i (from 1) boots with aion.node=i plus words_per_node[i-1];
    with forward, node 1 also gets the loopback port forward NIC."""
    run = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    switch = ac.Switch(run)
    nodes = []
    try:
        switch.start(die_with_parent=True)
        nodes = [ac.Node(f"node{i}", run, iso=iso, switch=switch, forward=forward and i == 1,
                         cmdline_extra=[f"aion.node={i}", *words])
                 for i, words in enumerate(words_per_node, 1)]
        for n in nodes:
            n.start(die_with_parent=True)
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
