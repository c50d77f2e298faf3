#!/usr/bin/env python3
"""Host tests of aion_cluster without a VM: the `nodes` parser, wait_mesh()
against fake nodes, the fw_cfg arguments and cluster keys, partition group
parsing, the fault network itself (real vde_switch and wirefilter
processes in a temporary run folder; frames sent and counted through
libvdeplug with ctypes; these fail when vde2 is missing: setup-host
installs it, and a skip would count as a pass), and the cluster commands
themselves (up, status --json, kill, start, stop, restart, add, logs, exec
--all, down) run as a user runs them, on that network, with fake_qemu.py
in place of QEMU, and each node's disk through all of them.
Run: python3 scripts/cluster/test_aion_cluster.py"""
import ctypes
import ctypes.util
import json
import os
import re
import subprocess
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
        # wait_mesh() calls these through its own module.
        self.saved = ac.mesh.shell_exec, ac.mesh.wait_all
        ac.mesh.wait_all = lambda nodes, regex, timeout: {}

        def shell_exec(node, command, timeout=30.0, out=print, **_kw):
            self.assertEqual(command, "nodes")
            answer = node.answers.pop(0) if len(node.answers) > 1 else node.answers[0]
            for line in answer:
                out(line)
            return 1 if answer and answer[0].startswith("error:") else 0
        ac.mesh.shell_exec = shell_exec

    def tearDown(self):
        ac.mesh.shell_exec, ac.mesh.wait_all = self.saved

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

    def test_fwcfg_file(self):
        self.assertEqual(ac.fwcfg_args({"opt/aion/k": "@/run/a,b/cluster-key"}),
                         ["-fw_cfg", "name=opt/aion/k,file=/run/a,,b/cluster-key"])

    def test_node_keys(self):
        a, f = "ab" * 16, "f" * 64
        self.assertEqual(ac.node_fwcfg(1), {})
        self.assertEqual(ac.node_fwcfg(1, a), {ac.CLUSTER_KEY_FWCFG: a})
        self.assertEqual(ac.node_fwcfg(2, a, {2: f}), {ac.CLUSTER_KEY_FWCFG: f})
        self.assertEqual(ac.node_fwcfg(2, None, {1: f}), {})
        self.assertEqual(ac.node_fwcfg(1, "@/r/cluster-key"), {ac.CLUSTER_KEY_FWCFG: "@/r/cluster-key"})
        # Shorter than 16 bytes, odd, not hex, too long: refused.
        for bad in ("", "abcd", "a" * 30, "a" * 33, "xyz", "ab cd", "a" * (ac.KEY_MAX_DIGITS + 2)):
            with self.assertRaises(ValueError):
                ac.check_key(bad)
        self.assertEqual(ac.check_key("A" * 32), "A" * 32)

    def test_new_key_file(self):
        k1, k2 = ac.new_key(), ac.new_key()
        self.assertEqual(len(k1), 64)
        self.assertNotEqual(k1, k2)
        with tempfile.TemporaryDirectory() as run:
            path = ac.write_key_file(Path(run) / ac.KEY_FILE, k1)
            self.assertEqual(path.stat().st_mode & 0o777, 0o600)
            self.assertEqual(ac.read_key_file(path), k1)
            ac.write_key_file(path, k2)
            self.assertEqual(ac.read_key_file(path), k2)
            with self.assertRaises(ValueError):
                ac.write_key_file(path, "abcd")
            self.assertEqual(ac.read_key_file(path), k2)


class Disks(unittest.TestCase):
    def test_disk_args(self):
        self.assertEqual(ac.disk_args(None), [])
        self.assertEqual(ac.disk_args("/r/a,b/disk.img"),
                         ["-drive", "file=/r/a,,b/disk.img,if=none,id=disk0,format=raw,"
                                    "cache=writeback,werror=report,rerror=report",
                          "-device", "virtio-blk-pci,drive=disk0,disable-modern=on"])
        self.assertEqual(ac.disk_args("/d.img", faults="/f.cfg", flush=False),
                         ["-drive", "file=blkdebug:/f.cfg:/d.img,if=none,id=disk0,format=raw,"
                                    "cache=writethrough,werror=report,rerror=report",
                          "-device", "virtio-blk-pci,drive=disk0,disable-modern=on,"
                                     "config-wce=off"])
        argv = ac.qemu_argv("x.iso", "/r/node1", switch_sock="/r/switch", mac="m",
                            disk="/r/node1/disk.img")
        # After the NIC: slots follow the order, and the NICs keep their IRQ lines.
        self.assertLess(argv.index("virtio-net-pci,netdev=mesh,mac=m,disable-modern=on"),
                        argv.index("virtio-blk-pci,drive=disk0,disable-modern=on"))

    def test_create_sparse_once(self):
        with tempfile.TemporaryDirectory() as run:
            node = ac.Node("node1", run, disk=True)
            with self.assertRaises(ac.NodeError) as cm:
                node.start()             # no disk: refused before QEMU starts
            self.assertIn("disk", str(cm.exception))
            self.assertIsNone(node.proc)
            path = node.create_disk()
            st = path.stat()
            self.assertEqual(st.st_size, ac.DISK_MIB << 20)
            # Sparse: only the data file system's metadata and its 4 MiB
            # journal are written.
            self.assertLess(st.st_blocks * 512, 8 << 20)
            self.assertTrue(ac.datafs.fsck(path)[0])
            with self.assertRaises(ac.NodeError):
                node.create_disk()      # never replaced
            node.config_file.write_text(json.dumps(node.config()))
            self.assertTrue(ac.Node.load(run, "node1").disk)
            older = {k: v for k, v in node.config().items() if k != "disk"}
            node.config_file.write_text(json.dumps(older))
            self.assertFalse(ac.Node.load(run, "node1").disk)   # an older up's node


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


HERE = Path(__file__).resolve().parent


class Commands(unittest.TestCase):
    """The scripts/cluster commands on a cluster of fake_qemu.py nodes."""

    def setUp(self):
        self.assertTrue(LIB, "vde_switch, wirefilter or libvdeplug missing (run scripts/setup-host)")
        self.run = Path(tempfile.mkdtemp(prefix="aion-cmdtest-", dir="/tmp"))
        self.env = dict(os.environ, AION_RUN_DIR=str(self.run), AION_SETUP_DONE="1",
                        AION_QEMU=str(HERE / "fake_qemu.py"))
        self.image = self.run / "test.iso"
        self.image.write_bytes(b"not an image: fake_qemu boots nothing")
        self.addCleanup(shutil.rmtree, self.run, ignore_errors=True)
        self.addCleanup(ac.stop_cluster, self.run)     # by pid, also on failure

    def cmd(self, *args, status=0, timeout=60):
        """Runs scripts/cluster/ARGS[0] ARGS[1:]; its stdout. Checks the
        exit status and that nothing printed a traceback."""
        p = subprocess.run([str(HERE / args[0]), *args[1:]], env=self.env, text=True,
                           capture_output=True, timeout=timeout)
        self.assertNotIn("Traceback", p.stderr)
        self.assertEqual(p.returncode, status, f"{args}: {p.stdout}{p.stderr}")
        return p.stdout + p.stderr if status else p.stdout

    def status(self):
        data = json.loads(self.cmd("status", "--json"))
        return {n["name"]: n for n in data["nodes"]}

    def up(self, n=3, *flags):
        out = self.cmd("up", "-n", str(n), "--image", str(self.image), *flags)
        for phase in ("disks:", "network:", "node1: started", f"node{n}: booted",
                      "mesh: formed"):
            self.assertRegex(out, rf"up: \[\s*\d+\.\d s\] {phase}")
        return out

    def disk(self, name):
        return self.run / name / "disk.img"

    def mark(self, name):
        """Writes 16 random bytes into the node's disk, as a guest would; returns them."""
        data = os.urandom(16)
        with open(self.disk(name), "r+b") as f:
            f.seek(ac.datafs.data_offset())
            f.write(data)
        return data

    def read_mark(self, name):
        with open(self.disk(name), "rb") as f:
            f.seek(ac.datafs.data_offset())
            return f.read(16)

    def test_data(self):
        """up --data DIR: every disk's data region holds an ext4 file
        system with DIR's files (the host's mke2fs); `data` refuses a
        running node; on a stopped one it lists, copies out and in (a
        file replaced), and e2fsck finds it clean (docs/storage.md)."""
        pre = self.run / "pre"
        pre.mkdir()
        (pre / "hello.txt").write_text("from the host\n")
        self.up(2, "--data", str(pre))
        out = self.cmd("data", "node2", "ls", status=1)
        self.assertIn("node2 is running", out)
        self.cmd("down", "--keep-disks")
        self.assertIn("hello.txt", self.cmd("data", "node2", "ls"))
        got = self.run / "got.txt"
        self.cmd("data", "node2", "get", "/hello.txt", str(got))
        self.assertEqual(got.read_text(), "from the host\n")
        blob = self.run / "blob.bin"
        blob.write_bytes(os.urandom(300000))
        for _ in range(2):              # the second put replaces the first
            self.cmd("data", "node1", "put", str(blob), "/blob.bin")
        self.cmd("data", "node1", "get", "/blob.bin", str(got))
        self.assertEqual(got.read_bytes(), blob.read_bytes())
        self.assertIn("data: node1:", self.cmd("data", "node1", "get", "/none", str(got),
                                                status=1))
        self.assertRegex(self.cmd("data", "node1", "fsck"), r"\d+/\d+ files")
        self.assertEqual(ac.datafs.blk_layout()["BLK_DATA_FIRST"], 34816)

    def test_up_status_down(self):
        self.up()
        nodes = self.status()
        self.assertEqual(sorted(nodes), ["node1", "node2", "node3"])
        for i, name in enumerate(sorted(nodes), 1):
            n = nodes[name]
            self.assertEqual((n["number"], n["address"], n["mac"], n["state"]),
                             (i, f"10.77.0.{i}", f"52:54:00:00:00:0{i}", "alive"))
            self.assertEqual(int((self.run / name / "pid").read_text()), n["pid"])
            self.assertEqual(n["group"], 1)
        self.assertIsInstance(nodes["node1"]["forward_port"], int)
        self.assertIsNone(nodes["node2"]["forward_port"])
        pids = [n["pid"] for n in nodes.values()]
        self.cmd("up", "-n", "3", "--image", str(self.image), status=1)  # one at a time
        self.assertIn("down: stopped node2", self.cmd("down"))
        for pid in pids:
            self.assertFalse(ac.pid_alive(pid))
        self.assertEqual(ac.running_net(self.run), [])
        self.assertEqual({n["state"] for n in self.status().values()}, {"dead"})

    def test_kill_start_keeps_identity(self):
        self.up()
        before = self.status()
        argv = (self.run / "node1" / "qemu.argv").read_text()
        self.cmd("kill", "1")
        self.assertEqual(self.status()["node1"]["state"], "dead")
        out = self.cmd("start", "node1")
        self.assertRegex(out, r"start: \[\s*[\d.]+ s\] mesh: formed: 3 nodes")
        after = self.status()["node1"]
        self.assertEqual(after["state"], "alive")
        self.assertNotEqual(after["pid"], before["node1"]["pid"])
        self.assertEqual(after["forward_port"], before["node1"]["forward_port"])
        # The same command line, but for the host's clock at this start
        # (aion.clock: meshd's boots never go back).
        clock = lambda text: re.sub(r"aion\.clock=\d+", "aion.clock=T", text)
        self.assertEqual(clock((self.run / "node1" / "qemu.argv").read_text()), clock(argv))
        self.assertIn("aion.clock=", argv)
        self.assertIn("already running", self.cmd("start", "1", status=1))
        self.assertIn("no node7", self.cmd("start", "7", status=1))

    def test_stop_logs_restart(self):
        self.up()
        out = self.cmd("stop", "2")
        self.assertIn("node2| ", out)
        self.assertIn("init: shutdown complete, powering off", out)
        self.assertRegex(out, r"stop: node2 powered off after [\d.]+ s")
        self.assertEqual(self.status()["node2"]["state"], "stopped")
        self.assertIn("is not running", self.cmd("stop", "2"))
        log = self.cmd("logs", "2")
        self.assertRegex(log, r"^\[\s*[\d.]+\] node2 kernel: ready\n")
        self.assertTrue(log.endswith("node2 init: shutdown complete, powering off\n"), log)
        self.assertEqual(self.cmd("logs", "-n", "1", "2").count("\n"), 1)
        self.assertEqual(self.cmd("logs", "-n", "0", "2"), "")
        self.cmd("start", "2")
        self.assertEqual(self.status()["node2"]["state"], "alive")
        self.assertNotIn("shutdown", self.cmd("logs", "2"))
        self.assertIn("shutdown complete", self.cmd("logs", "--previous", "2"))
        # restart: in order, then up again; a guest that ignores the button
        # is ended by pid after the timeout and the command fails.
        self.assertIn("powered off", self.cmd("restart", "3"))
        self.assertEqual(self.status()["node3"]["state"], "alive")
        (self.run / "node3" / "ignore-power-button").touch()
        out = self.cmd("stop", "-t", "1", "3", status=1)
        self.assertIn("node3 did not power off within 1 s: ended it by its pid", out)
        self.assertEqual(self.status()["node3"]["state"], "dead")

    def test_logs_follow(self):
        self.up(1)
        follow = subprocess.Popen([str(HERE / "logs"), "-f", "1"], env=self.env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # By its pid (Popen); communicate() reaps it and closes the pipes.
        self.addCleanup(lambda: (follow.kill(), follow.communicate()))
        self.assertIn("kernel: ready", follow.stdout.readline())
        self.cmd("exec", "1", "echo followed words")
        while "followed words" not in follow.stdout.readline():
            pass
        self.cmd("kill", "1")
        self.cmd("start", "--no-wait", "1")          # a new log file: followed too
        while "kernel: ready" not in follow.stdout.readline():
            pass

    def test_add_and_exec_all(self):
        self.up()
        out = self.cmd("add", "-n", "2")
        self.assertRegex(out, r"add: \[\s*[\d.]+ s\] mesh: formed: 5 nodes")
        self.assertRegex(out, r"add: \[\s*[\d.]+ s\] raft: node5 votes")
        nodes = self.status()
        self.assertEqual([nodes[f"node{i}"]["state"] for i in range(1, 6)], ["alive"] * 5)
        argv = (self.run / "node5" / "qemu.argv").read_text()
        self.assertIn("aion.node=5 aion.nodes=3", argv)      # voters stay 1..3
        self.assertIn("52:54:00:00:00:05", argv)
        self.assertIsNone(nodes["node5"]["forward_port"])
        self.assertEqual(ac.Wire(self.run, 5).alive(), True)
        lines = self.cmd("exec", "--all", "uptime").splitlines()
        self.assertEqual(sorted(ln.split(":")[0] for ln in lines),
                         [f"node{i}" for i in range(1, 6)])
        self.assertTrue(all(re.fullmatch(r"node\d: uptime s=[\d.]+ idle_ms=\d+ idle_entries=\d+", ln)
                            for ln in lines))
        self.cmd("kill", "4")
        self.cmd("pause", "5")
        out = self.cmd("exec", "--all", "bogus", status=1)
        self.assertIn("node5 is paused: skipped", out)
        self.assertNotIn("node4:", out)
        self.assertIn("node1: error: unknown command", out)

    def test_remove(self):
        """remove asks a live node to take the server out of the
        configuration, waits until it is gone, then deletes the node."""
        self.up()
        out = self.cmd("remove", "3")
        self.assertIn("remove: [", out)
        self.assertIn("node3's server left the configuration", out)
        self.assertFalse((self.run / "node3").exists())
        self.assertEqual(sorted(self.status()), ["node1", "node2"])
        self.assertIn("remove: no node3 in", self.cmd("remove", "3", status=1))

    def test_closed_pipe_and_errors(self):
        self.up(1)
        p = subprocess.Popen(f"'{HERE / 'exec'}' 1 nodes | head -1", shell=True, env=self.env,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=60)
        self.assertEqual(out, "nodes self=1 count=1\n")
        self.assertNotIn("Traceback", err)
        self.assertIn("logs: 'x' is not a node", self.cmd("logs", "x", status=1))
        self.assertIn("exec: no node9 in", self.cmd("exec", "9", "nodes", status=125))

    def test_disks(self):
        """Each node's own disk: made by up, on QEMU's command line, kept by
        stop/start, kill/start and restart; kept by down --keep-disks, which
        up then refuses to use unless told to; add makes one for a new
        node; down removes them, and start then refuses the node."""
        self.up()
        for i in (1, 2, 3):
            st = self.disk(f"node{i}").stat()
            # Sparse: the data file system's metadata and journal only.
            self.assertEqual((st.st_size, st.st_blocks * 512 < (8 << 20)),
                             (ac.DISK_MIB << 20, True))
            # New: the data region's first bytes (the file system's unused
            # boot block) are zero.
            self.assertEqual(self.read_mark(f"node{i}"), bytes(16))
        argv = (self.run / "node2" / "qemu.argv").read_text().splitlines()
        self.assertEqual(argv[argv.index("-drive") + 1:argv.index("-drive") + 4],
                         ac.disk_args(self.disk("node2"))[1:])
        self.assertEqual(self.status()["node2"]["disk"], str(self.disk("node2")))
        marks = {n: self.mark(n) for n in ("node1", "node2", "node3")}
        self.cmd("stop", "2")
        self.cmd("start", "2")
        self.cmd("kill", "3")
        self.cmd("start", "3")
        self.cmd("restart", "1")
        self.assertEqual({n: self.read_mark(n) for n in marks}, marks)
        self.assertIn("down: kept the disks of node1, node2, node3",
                      self.cmd("down", "--keep-disks"))
        out = self.cmd("up", "-n", "3", "--image", str(self.image), status=1)
        self.assertIn("disks of an earlier cluster", out)
        self.assertIn("`up --keep-disks` boots with them", out)
        out = self.cmd("up", "-n", "2", "--keep-disks", "--image", str(self.image), status=1)
        self.assertIn("node3 has a disk", out)
        self.assertRegex(self.up(3, "--keep-disks"), r"disks: 0 new .*, 3 kept")
        self.assertEqual({n: self.read_mark(n) for n in marks}, marks)
        self.cmd("add")
        self.assertTrue(self.disk("node4").exists())
        self.assertIn("down: removed the disks of node1, node2, node3, node4", self.cmd("down"))
        self.assertEqual([self.disk(f"node{i}").exists() for i in (1, 2, 3, 4)], [False] * 4)
        self.assertIn("disk.img is gone", self.cmd("start", "2", status=1))

    def test_without_python(self):
        """A command on a machine without python3 says what is missing."""
        bin_dir = self.run / "bin"
        bin_dir.mkdir()
        for tool in ("basename", "dirname", "readlink", "date"):
            (bin_dir / tool).symlink_to(shutil.which(tool))
        p = subprocess.run(["/bin/bash", str(HERE / "status")], text=True,
                           capture_output=True, env={"PATH": str(bin_dir)})
        self.assertEqual(p.returncode, 127)
        self.assertEqual(p.stderr, "status: python3 is not installed; ./scripts/cluster/up "
                                   "installs what the cluster tools need (or run "
                                   "./scripts/setup-host)\n")


if __name__ == "__main__":
    unittest.main()
