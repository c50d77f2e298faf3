#!/usr/bin/env python3
"""Host tests of aion_cluster without a VM: the `nodes` parser, wait_mesh()
against fake nodes, the fw_cfg arguments and cluster keys, partition group
parsing, and the fault network itself (real vde_switch and wirefilter
processes in a temporary run folder; frames sent and counted through
libvdeplug with ctypes; these fail when vde2 is missing: setup-host
installs it, and a skip would count as a pass).
Run: python3 scripts/cluster/test_aion_cluster.py"""
import ctypes
import ctypes.util
import re
import select
import shutil
import sys
import tempfile
import time
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


class RunningProc:
    pid = 4242

    def poll(self):
        return None


class LogLines(unittest.TestCase):
    """wait_for() and poll() match whole lines only while the guest runs."""

    def test_partial_line_waits(self):
        with tempfile.TemporaryDirectory() as run:
            node = ac.Node("node1", run)
            node.dir.mkdir()
            node.pid_file.write_text("4242\n")
            node.proc = RunningProc()
            pattern = re.compile(r"fnv=(0x[0-9a-f]+)", re.MULTILINE)
            node.serial_log.write_bytes(b"[1.0] node1 x: fnv=0x81d7")
            self.assertIsNone(node.poll(pattern))
            with open(node.serial_log, "ab") as f:
                f.write(b"629854756444\r\n")
            self.assertEqual(node.poll(pattern).group(1), "0x81d7629854756444")
            self.assertTrue(node.complete().endswith("\n"))


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


class Groups(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(ac.parse_groups(["1", "2,3"], [1, 2, 3]), [[1], [2, 3]])
        self.assertEqual(ac.parse_groups(["node1,node3", "2"], [1, 2, 3]), [[1, 3], [2]])
        self.assertEqual(ac.parse_groups([[1], ["node2", 3]], [1, 2, 3]), [[1], [2, 3]])
        self.assertEqual(ac.format_groups([[1], [2, 3]]), "1 | 2,3")

    def test_errors(self):
        for groups, why in ((["1", "2"], "node3: not in any group"),
                            (["1,2", "2,3"], "node2: listed twice"),
                            (["1", "2,3,4"], "node4: not in the cluster"),
                            (["1", ",", "2,3"], "empty"),
                            ([], "no partition groups"),
                            (["1", "x,2,3"], "not a node")):
            with self.assertRaises(ValueError) as cm:
                ac.parse_groups(groups, [1, 2, 3])
            self.assertIn(why, str(cm.exception))

    def test_loss_values(self):
        self.assertEqual(ac.check_loss("12.5"), 12.5)
        for bad in ("-1", "101", "x", None):
            with self.assertRaises(ValueError):
                ac.check_loss(bad)


def vdeplug():
    """libvdeplug (vdeplug4) through ctypes, or None."""
    name = ctypes.util.find_library("vdeplug")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.vde_open_real.restype = ctypes.c_void_p
    lib.vde_open_real.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                                  ctypes.c_void_p]
    lib.vde_send.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    lib.vde_recv.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    lib.vde_datafd.argtypes = [ctypes.c_void_p]
    lib.vde_close.argtypes = [ctypes.c_void_p]
    return lib


LIB = vdeplug() if shutil.which("vde_switch") and shutil.which("wirefilter") else None


class Plug:
    """A fake NIC plugged into a node switch: sends and counts frames."""

    def __init__(self, switch, number):
        self.conn = LIB.vde_open_real(str(switch.sock).encode(), b"test", 1, None)
        if not self.conn:
            raise OSError(f"cannot plug into {switch.sock}")
        self.fd = LIB.vde_datafd(self.conn)
        self.mac = bytes([0x52, 0x54, 0, 0, 0, number])
        self.buf = ctypes.create_string_buffer(2048)

    def send(self, dst=b"\xff" * 6, count=1):
        frame = dst + self.mac + b"\x88\xb5" + b"x" * 50
        for _ in range(count):
            LIB.vde_send(self.conn, frame, len(frame), 0)
            time.sleep(0.0005)

    def receive(self):
        """Takes one waiting frame off the plug."""
        LIB.vde_recv(self.conn, self.buf, len(self.buf), 0)

    def drain(self, wait_s=0.02):
        """Drops the frames that come within wait_s."""
        end = time.monotonic() + wait_s
        while select.select([self.fd], [], [], max(0.0, end - time.monotonic()))[0]:
            self.receive()

    def close(self):
        LIB.vde_close(self.conn)


# Frames cross two switches and two wirefilters, all busy host processes:
# wait for the expected ones for up to FRAMES_WAIT_S (not a fixed window,
# which a busy host overruns), then LINGER_S more for any that must not come.
FRAMES_WAIT_S = 5.0
LINGER_S = 0.25


def collect(plugs, until):
    """{node: frames received} on plugs {node: Plug}: waits until each has
    until[node] frames (FRAMES_WAIT_S at most), then LINGER_S more."""
    got = {n: 0 for n in plugs}
    node_of = {p.fd: n for n, p in plugs.items()}
    lingering = False
    end = time.monotonic() + FRAMES_WAIT_S
    while True:
        if not lingering and all(got[n] >= until.get(n, 0) for n in plugs):
            lingering, end = True, time.monotonic() + LINGER_S
        left = end - time.monotonic()
        if left <= 0:
            return got
        for fd in select.select(list(node_of), [], [], left)[0]:
            plugs[node_of[fd]].receive()
            got[node_of[fd]] += 1


class FaultNet(unittest.TestCase):
    """Three fake nodes on the real topology, as `up` starts it (daemons)."""

    DIE_WITH_PARENT = False

    def setUp(self):
        self.assertTrue(LIB, "vde_switch, wirefilter or libvdeplug missing (run scripts/setup-host)")
        self.run = Path(tempfile.mkdtemp(prefix="aion-nettest-", dir="/tmp"))
        self.net = ac.Cluster(self.run, [1, 2, 3])
        self.addCleanup(shutil.rmtree, self.run, ignore_errors=True)
        self.addCleanup(self.net.stop_net)
        self.net.start_net(die_with_parent=self.DIE_WITH_PARENT)
        self.plugs = {n: Plug(self.net.node_switch(n), n) for n in (1, 2, 3)}
        for p in self.plugs.values():
            self.addCleanup(p.close)
            p.send()            # the switches learn every MAC
        # Learnt once each frame got through to every other plug.
        collect(self.plugs, {n: len(self.plugs) - 1 for n in self.plugs})

    def drain(self):
        for p in self.plugs.values():
            p.drain()

    def reach(self, src, until, count=20, dst=None):
        """{node: frames received} after src sends count frames (broadcast,
        or unicast to node dst's MAC), waiting for until {node: frames}."""
        self.drain()
        self.plugs[src].send(self.plugs[dst].mac if dst else b"\xff" * 6, count)
        return collect({n: p for n, p in self.plugs.items() if n != src}, until)

    def assert_reach(self, src, want, dst=None):
        """src's 20 frames reach exactly want {node: frames}."""
        self.assertEqual(self.reach(src, want, dst=dst), want)

    def test_whole(self):
        self.assert_reach(1, {2: 20, 3: 20})
        self.assertEqual(self.net.groups(), [[1, 2, 3]])
        self.assertEqual(self.net.losses(), {1: 0.0, 2: 0.0, 3: 0.0})
        table = "\n".join(ac.cluster_table(ac.nodes_in(self.run), net=self.net))
        self.assertIn("group", table)
        self.assertEqual(ac.net_lines(self.net), ["partition: none (one network)"])

    def test_partition_heal(self):
        self.assertEqual(self.net.partition(["1", "2,3"]), [[1], [2, 3]])
        self.assertEqual(self.net.groups(), [[1], [2, 3]])
        self.assert_reach(1, {2: 0, 3: 0})
        self.assert_reach(2, {1: 0, 3: 20})
        self.assert_reach(3, {1: 0, 2: 0}, dst=1)   # a learnt MAC too
        self.assert_reach(2, {1: 0, 3: 20}, dst=3)
        self.assertEqual(ac.net_lines(self.net), ["partition: 1 | 2,3"])
        # A new partition replaces the old one.
        self.net.partition([[1, 2], [3]])
        self.assert_reach(1, {2: 20, 3: 0})
        self.net.heal()
        self.assertEqual(self.net.groups(), [[1, 2, 3]])
        self.assert_reach(3, {1: 20, 2: 0}, dst=1)
        self.assert_reach(1, {2: 20, 3: 20})
        with self.assertRaises(ValueError):
            self.net.partition(["1", "2"])

    def test_loss(self):
        self.net.loss(2, 100)
        self.assertEqual(self.net.losses()[2], 100.0)
        self.assert_reach(1, {2: 0, 3: 20})
        self.assert_reach(2, {1: 0, 3: 0})
        self.net.loss("node2", 50)
        got = self.reach(1, {3: 200}, count=200)
        self.assertTrue(40 <= got[2] <= 160 and got[3] == 200, got)
        # Partition and heal keep the loss.
        self.net.partition(["1,2", "3"])
        self.net.heal()
        self.assertEqual(self.net.losses()[2], 50.0)
        self.net.loss(2, 0)
        self.assert_reach(2, {1: 20, 3: 20})
        with self.assertRaises(ac.NodeError):
            self.net.loss(4, 10)

    def test_stop(self):
        pids = [p.pid for p in self.net.net_parts()]
        self.assertTrue(all(pids))
        _nodes, parts, stale = ac.stop_cluster(self.run)
        self.assertEqual(sorted(pid for _p, pid in parts), sorted(pids))
        self.assertEqual(stale, [])
        for pid in pids:
            self.assertFalse(ac.pid_alive(pid))
        self.assertEqual(ac.running_parts(self.run), ([], None))
        self.assertEqual(ac.running_net(self.run), [])


class FaultNetChildren(FaultNet):
    """The same as the tests start it: switches and wires are our children."""

    DIE_WITH_PARENT = True


if __name__ == "__main__":
    unittest.main()
