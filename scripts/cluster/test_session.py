#!/usr/bin/env python3
"""Host tests of aion_cluster.Session (a console held open for many
commands) against fake_qemu.py, which serves the console protocol: each
command's output and nothing else, in order, on one connection; a node
that is down refuses before sending; a node killed and started again is
reconnected. Run: python3 scripts/cluster/test_session.py"""
import os
import shutil
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import aion_cluster as ac  # noqa: E402


class Sessions(unittest.TestCase):
    def setUp(self):
        self.saved = os.environ.get("AION_QEMU")
        os.environ["AION_QEMU"] = str(HERE / "fake_qemu.py")
        self.run_dir = Path(tempfile.mkdtemp(prefix="aion-session-", dir="/tmp"))
        self.addCleanup(shutil.rmtree, self.run_dir, ignore_errors=True)
        image = self.run_dir / "test.iso"
        image.write_bytes(b"not an image: fake_qemu boots nothing")
        self.node = ac.Node("node1", self.run_dir, iso=image, cmdline_extra=["aion.node=1"])
        self.addCleanup(self.node.stop)         # by pid, also on failure
        self.start()
        self.session = ac.Session(self.node)
        self.addCleanup(self.session.close)

    def tearDown(self):
        if self.saved is None:
            os.environ.pop("AION_QEMU", None)
        else:
            os.environ["AION_QEMU"] = self.saved

    def start(self):
        self.node.start(die_with_parent=True)
        self.node.wait_for(ac.CONSOLE_READY_RE, 10)

    def test_many_commands_on_one_connection(self):
        last = 0
        for i in range(200):
            status, lines, sent, done = self.session.run(f"echo word {i}", timeout=10)
            self.assertEqual((status, lines), (0, [f"word {i}"]))
            self.assertLessEqual(last, sent)
            self.assertLessEqual(sent, done)
            last = done
        self.assertIs(self.session.conn, self.session._connected())   # still the first one
        status, lines, _, _ = self.session.run("no-such-command", timeout=10)
        self.assertEqual(status, 1)
        self.assertTrue(lines[0].startswith("error:"), lines)

    def test_down_node_refuses_before_sending(self):
        self.assertEqual(self.session.run("uptime", timeout=10)[0], 0)
        self.node.kill()
        with self.assertRaises(ac.NodeError) as caught:
            self.session.run("uptime", timeout=10)
        self.assertIsNone(getattr(caught.exception, "sent_at", None))
        self.start()
        status, lines, _, _ = self.session.run("echo back", timeout=10)
        self.assertEqual((status, lines), (0, ["back"]))

    def test_no_answer_in_time(self):
        self.node.pause()       # fake_qemu: QMP stop, the console stays silent
        t0 = time.monotonic()
        with self.assertRaises(ac.NodeError) as caught:
            self.session.run("uptime", timeout=0.5)
        self.assertIsNotNone(getattr(caught.exception, "sent_at", None))
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)


if __name__ == "__main__":
    unittest.main()
