#!/usr/bin/env python3
"""Host tests of aion_cluster's pure parts, no VM: the `nodes` parser,
wait_mesh() against fake nodes, the fw_cfg arguments and cluster keys.
Run: python3 scripts/cluster/test_aion_cluster.py"""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aion_cluster as ac  # noqa: E402

HEADER = "nodes self=1 count=3"
ALIVE = ["node=1 addr=10.77.0.1 state=alive inc=0 heard_ms=0 self",
         "node=2 addr=10.77.0.2 state=alive inc=1 heard_ms=120",
         "node=3 addr=10.77.0.3 state=alive inc=0 heard_ms=80"]
SUSPECT = ALIVE[:2] + ["node=3 addr=10.77.0.3 state=suspect inc=3 heard_ms=412"]


class ParseNodes(unittest.TestCase):
    def test_members(self):
        me, members = ac.parse_nodes([HEADER] + SUSPECT)
        self.assertEqual(me, 1)
        self.assertEqual(members[1], {"addr": "10.77.0.1", "state": "alive", "inc": 0,
                                      "heard_ms": 0, "self": True})
        self.assertEqual(members[3]["state"], "suspect")
        self.assertEqual(members[3]["heard_ms"], 412)
        self.assertFalse(members[3]["self"])

    def test_garbled_field(self):
        lines = [HEADER] + ALIVE[:2] + ["node=3 addr=10.77.0.3 state=alive iinc=0 heard_ms=42"]
        _me, members = ac.parse_nodes(lines)
        self.assertEqual(members[3]["state"], "alive")
        self.assertIsNone(members[3]["inc"])

    def test_last_header_counts(self):
        late = ["nodes self=1 count=1", "node=1 addr=10.77.0.1 state=dead inc=0 heard_ms=0 self"]
        _me, members = ac.parse_nodes(late + [HEADER] + ALIVE)
        self.assertEqual(sorted(members), [1, 2, 3])
        self.assertEqual(members[1]["state"], "alive")

    def test_errors(self):
        for lines in (["error: unknown command nodes"], [], ALIVE, [HEADER] + ALIVE[:2]):
            with self.assertRaises(ValueError):
                ac.parse_nodes(lines)

    def test_missing(self):
        view = ac.parse_nodes([HEADER] + SUSPECT)
        self.assertEqual(ac.mesh_missing(view, [1, 2, 3]), ["node3 suspect"])
        self.assertEqual(ac.mesh_missing(view, [1, 2, 3, 4]), ["node3 suspect", "node4 missing"])
        self.assertEqual(ac.mesh_missing(ac.parse_nodes([HEADER] + ALIVE), [1, 2, 3]), [])


class FakeNode:
    def __init__(self, number, answers):
        self.number, self.name, self.answers = number, f"node{number}", list(answers)


class WaitMesh(unittest.TestCase):
    def setUp(self):
        self.saved = ac.shell_exec, ac.wait_all
        ac.wait_all = lambda nodes, regex, timeout: {}

        def shell_exec(node, command, timeout=30.0, out=print, **_kw):
            self.assertEqual(command, "nodes")
            answer = node.answers.pop(0) if len(node.answers) > 1 else node.answers[0]
            for line in answer:
                out(line)
            return 1 if answer and answer[0].startswith("error:") else 0
        ac.shell_exec = shell_exec

    def tearDown(self):
        ac.shell_exec, ac.wait_all = self.saved

    def test_converges(self):
        nodes = [FakeNode(1, [["error: meshd not running"], [HEADER] + SUSPECT, [HEADER] + ALIVE]),
                 FakeNode(2, [[HEADER.replace("self=1", "self=2")] + ALIVE]),
                 FakeNode(3, [[HEADER.replace("self=1", "self=3")] + ALIVE])]
        views = ac.wait_mesh(nodes, timeout=5, poll_s=0.01)
        self.assertEqual(views["node1"][1][3]["state"], "alive")
        self.assertEqual(nodes[0].answers, [[HEADER] + ALIVE])

    def test_names_the_node(self):
        nodes = [FakeNode(1, [[HEADER] + ALIVE]),
                 FakeNode(2, [[HEADER.replace("self=1", "self=2")] + SUSPECT]),
                 FakeNode(3, [["error: unknown command"]])]
        with self.assertRaises(ac.NodeTimeout) as cm:
            ac.wait_mesh(nodes, timeout=0.2, poll_s=0.01)
        msg = str(cm.exception)
        self.assertIn("node2 sees node3 suspect", msg)
        self.assertIn("node3 answered `nodes` with `error: unknown command`", msg)
        self.assertNotIn("node1", msg)


class Keys(unittest.TestCase):
    def test_fwcfg_args(self):
        self.assertEqual(ac.fwcfg_args({"opt/aion/x": "a,b"}),
                         ["-fw_cfg", "name=opt/aion/x,string=a,,b"])
        self.assertEqual(ac.fwcfg_args(None), [])

    def test_node_keys(self):
        self.assertEqual(ac.node_fwcfg(1), {})
        self.assertEqual(ac.node_fwcfg(1, "abcd"), {ac.CLUSTER_KEY_FWCFG: "abcd"})
        self.assertEqual(ac.node_fwcfg(2, "abcd", {2: "ff"}), {ac.CLUSTER_KEY_FWCFG: "ff"})
        self.assertEqual(ac.node_fwcfg(2, None, {1: "ff"}), {})
        for bad in ("", "xyz", "ab cd", "a" * (ac.KEY_MAX_DIGITS + 1)):
            with self.assertRaises(ValueError):
                ac.check_key(bad)


if __name__ == "__main__":
    unittest.main()
