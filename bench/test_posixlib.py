#!/usr/bin/env python3
"""Host tests of bench/posixlib.py (posixbench's lines: the parser and the
checks bench/posix and posix-bench-smoke rely on).
Run: python3 bench/test_posixlib.py"""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import posixlib  # noqa: E402

COUNTS = (200, 100, 100, 5)


def fig(name, iters, med=5, p99=9, lo=1, hi=10, mean=6):
    return (f"[  1.0] node0 posixbench: posixbench: fig {name} iters={iters} median_ns={med} "
            f"p99_ns={p99} min_ns={lo} max_ns={hi} mean_ns={mean}")


def log(**change):
    """A whole run's log for COUNTS; change replaces lines by figure name
    or by kind (None drops it)."""
    iters = {"null_syscall": 200, "null_local": 200, "open_read_close": 100, "pipe": 100}
    lines = {"start": "[  0.1] node0 posixbench: posixbench: start clock_gettime_ns=900 pid=2 ppid=1"}
    for name in posixlib.FIGURES:
        lines[name] = fig(name, iters.get(name, 5))
    lines["file"] = ("[  1.0] node0 posixbench: posixbench: file path=/tmp/posixbench-4k "
                     "bytes_each=4096 bytes_read=819200")
    lines["pipe_line"] = ("[  1.0] node0 posixbench: posixbench: pipe msg_bytes=64 round_trips=200 "
                          "bytes_echoed=12800 child_exit=0")
    lines["done"] = ("[  2.0] node0 posixbench: posixbench: done self_bytes=1 busybox_bytes=2 "
                     "children_failed=0")
    lines.update(change)
    return "\n".join(v for v in lines.values() if v is not None) + "\n"


class Problems(unittest.TestCase):
    def test_whole_run(self):
        res = posixlib.parse(log())
        self.assertEqual(posixlib.problems(res, COUNTS), [])
        self.assertEqual(res["figs"]["fork_wait"]["median_ns"], 5)
        self.assertEqual(res["pipe"]["bytes_echoed"], 12800)

    def test_missing_figure(self):
        bad = posixlib.problems(posixlib.parse(log(fork_wait=None)), COUNTS)
        self.assertEqual(bad, ["no figure fork_wait"])

    def test_wrong_count(self):
        bad = posixlib.problems(posixlib.parse(log(pipe=fig("pipe", 99))), COUNTS)
        self.assertEqual(bad, ["pipe: iters=99, asked for 100"])

    def test_zero_and_disorder(self):
        zero = posixlib.problems(posixlib.parse(log(null_local=fig("null_local", 200, lo=0))),
                                 COUNTS)
        self.assertEqual(zero, ["null_local: min_ns=0 is not positive"])
        order = posixlib.problems(posixlib.parse(log(spawn_wait=fig("spawn_wait", 5, p99=11))),
                                  COUNTS)
        self.assertEqual(len(order), 1)
        self.assertIn("statistics out of order", order[0])

    def test_bytes_and_children(self):
        short = log(pipe_line="[ 1.0] node0 posixbench: posixbench: pipe msg_bytes=64 "
                              "round_trips=200 bytes_echoed=12736 child_exit=0")
        self.assertEqual(len(posixlib.problems(posixlib.parse(short), COUNTS)), 1)
        child = log(pipe_line="[ 1.0] node0 posixbench: posixbench: pipe msg_bytes=64 "
                              "round_trips=200 bytes_echoed=12800 child_exit=3")
        self.assertEqual(len(posixlib.problems(posixlib.parse(child), COUNTS)), 1)
        read = log(file="[ 1.0] node0 posixbench: posixbench: file bytes_read=4096")
        self.assertEqual(len(posixlib.problems(posixlib.parse(read), COUNTS)), 1)
        failed = log(done="[ 2.0] node0 posixbench: posixbench: done children_failed=2")
        self.assertEqual(posixlib.problems(posixlib.parse(failed), COUNTS),
                         ["done: children_failed=2"])

    def test_fail_line(self):
        text = log(done=None) + "[ 3.0] node0 posixbench: posixbench: FAIL fork errno=11 (x)\n"
        bad = posixlib.problems(posixlib.parse(text), COUNTS)
        self.assertIn("posixbench failed: fork errno=11 (x)", bad)
        self.assertIn("no `done` line", bad)


if __name__ == "__main__":
    unittest.main()
