#!/usr/bin/env python3
"""Host tests of bench/nemesis's pure parts: how a kv command's output
becomes a history result (kvshell.py), the workload's calls (workload.py),
the partition sides and the schedule (faults.py) and the summary
(report.py). Run: python3 bench/nemesislib/test_nemesislib.py"""
import random
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for sub in ("tests/cluster", "tests/lincheck", "bench/nemesislib"):
    sys.path.insert(0, str(ROOT / sub))
import faults  # noqa: E402
import kvshell  # noqa: E402
import lincheck  # noqa: E402
import report  # noqa: E402
import workload  # noqa: E402
from history import FAIL, OK, UNKNOWN, Op  # noqa: E402


class Outcome(unittest.TestCase):
    def test_commands(self):
        self.assertEqual(kvshell.command("cas", "r1", ["", "2x3"]), 'kv cas r1 "" 2x3')
        self.assertEqual(kvshell.command("add", "c0", [1]), "kv add c0 1")
        self.assertEqual(kvshell.command("get", "r1", []), "kv get r1")

    def test_answers(self):
        cases = [
            ("get", ["kv ok value=1x2"], (OK, {"value": "1x2"})),
            ("get", ["error: AION_ENOENT"], (OK, {"value": None})),
            ("put", ["kv ok value=1x2"], (OK, {})),
            ("add", ["kv ok value=-4"], (OK, {"value": -4})),
            ("add", ["error: AION_EINVAL"], (OK, {"error": "AION_EINVAL"})),
            ("cas", ["kv ok value=n"], (OK, {"applied": True})),
            ("cas", ["error: AION_ECONFLICT current=1x9"], (OK, {"applied": False, "current": "1x9"})),
            ("cas", ["error: AION_ECONFLICT current=(absent)"], (OK, {"applied": False, "current": None})),
        ]
        for f, lines, want in cases:
            self.assertEqual(kvshell.outcome(f, lines)[:2], want, (f, lines))

    def test_a_write_is_failed_only_when_no_attempt_may_have_run(self):
        retry = "kv retry seq=4 err=AION_{} (x)"
        not_run = [retry.format("EAGAIN"), retry.format("EHOSTDOWN"), "error: AION_EAGAIN"]
        self.assertEqual(kvshell.outcome("put", not_run)[0], FAIL)
        maybe = [retry.format("EINDOUBT"), retry.format("EAGAIN"), "error: AION_EAGAIN"]
        result, _, error, errors = kvshell.outcome("put", maybe)
        self.assertEqual((result, error), (UNKNOWN, "AION_EAGAIN"))
        self.assertEqual(errors, ["AION_EINDOUBT", "AION_EAGAIN", "AION_EAGAIN"])
        self.assertEqual(kvshell.outcome("add", ["error: AION_ETIMEDOUT"])[0], UNKNOWN)
        # ...but a retry that answered settles it.
        self.assertEqual(kvshell.outcome("put", [retry.format("EINDOUBT"), "kv ok value=v"])[0], OK)

    def test_reads_and_lookups_never_take_effect(self):
        self.assertEqual(kvshell.outcome("get", ["error: AION_EINDOUBT"])[0], FAIL)
        self.assertEqual(kvshell.outcome("put", ["error: kv: lookup: AION_ENOENT"])[0], FAIL)
        # A lookup after an attempt that may have run (the proxy ended
        # holding it) decides nothing about that attempt.
        again = ["kv retry seq=5 err=AION_EINDOUBT (x)", "error: kv: lookup: AION_ENOENT"]
        self.assertEqual(kvshell.outcome("put", again)[0], UNKNOWN)
        self.assertEqual(kvshell.outcome("put", [])[0], UNKNOWN)
        with self.assertRaises(ValueError):
            kvshell.outcome("cas", ["error: usage: kv get K"])


class Workload(unittest.TestCase):
    def test_same_seed_same_calls_and_unique_values(self):
        keys = workload.keys(4, 2)
        a, b = workload.Calls(1, keys, 7), workload.Calls(1, keys, 7)
        calls = [a.next() for _ in range(300)]
        self.assertEqual(calls, [b.next() for _ in range(300)])
        self.assertNotEqual(calls, [workload.Calls(2, keys, 7).next() for _ in range(300)])
        written = [c[2][-1] for c in calls if c[0] in ("put", "cas") and c[1].startswith("r")]
        self.assertEqual(len(written), len(set(written)))
        self.assertTrue(all("x" in v for v in written))

    def test_counters_only_grow(self):
        calls = workload.Calls(3, ["c0"], 1)
        calls.saw("c0", "41")
        seen = [calls.next() for _ in range(200)]
        self.assertTrue(all(c[2] == [1] for c in seen if c[0] == "add"))
        self.assertTrue(all(c[2] == ["41", "141"] for c in seen if c[0] == "cas"))
        self.assertEqual({c[0] for c in seen}, {"get", "add", "cas"})


class Sides(unittest.TestCase):
    def nemesis(self, seed=1):
        n = faults.Nemesis.__new__(faults.Nemesis)
        n.numbers, n.rng = [1, 2, 3, 4, 5], random.Random(seed)
        return n

    def test_partition_sides(self):
        n = self.nemesis()
        roles = {2: "primary", 4: "backup"}
        self.assertEqual(sorted(n._side("kv-together", 1, roles)), [2, 4])
        for _ in range(20):
            side = n._side("leader", 3, roles)
            self.assertIn(3, side)
            self.assertLessEqual(len(side), 2)
            side = n._side("primary", 3, roles)
            self.assertEqual(side[0], 2)
            self.assertNotIn(4, side)
            self.assertTrue(1 <= len(n._side("halves", None, {})) <= 2)
        # Without a known leader or placement: random halves.
        self.assertTrue(1 <= len(n._side("leader", None, {})) <= 2)


def op(f, key, args, a, b, out, result=OK, client=1):
    return Op(f, key, tuple(args), a, b, result, out if result == OK else None, client=client)


class Report(unittest.TestCase):
    def test_summary_and_failures(self):
        ops = [op("put", "r0", ["1x1"], 0, 1, {}), op("put", "r0", ["1x2"], 2, 3, {}),
               op("get", "r0", [], 4, 5, {"value": "1x1"}, client="final"),
               op("put", "r1", ["1x3"], 0, 1, None, result=FAIL),
               op("add", "c0", [1], 0, None, None, result=UNKNOWN)]
        final = {"r0": ops[2]}
        out = report.summary(ops, final, lincheck.check(ops), {"workload_s": 10})
        self.assertEqual((out["operations"], out["ok"], out["failed"], out["unknown"]), (5, 3, 1, 1))
        self.assertEqual(out["acknowledged_writes"], 2)
        self.assertEqual(out["lost"], 1)
        self.assertIs(out["linearizable"], False)
        self.assertEqual(out["not_linearizable_keys"], ["r0"])
        self.assertEqual(out["per_client"], {"1": 4})
        why = report.failures(out)
        self.assertEqual(len(why), 2, why)
        clean = report.summary(ops[:1], {}, lincheck.check(ops[:1]), {"workload_s": 1})
        self.assertEqual(report.failures(clean), [])

    def test_a_run_without_faults_answers_every_call(self):
        ops = [op("put", "r0", ["1x1"], 0, 1, {}), op("get", "r0", [], 2, None, None, UNKNOWN)]
        run = {"workload_s": 1, "faults_enabled": False}
        out = report.summary(ops, {}, lincheck.check(ops), run)
        self.assertEqual(len(report.failures(out)), 1)
        out = report.summary(ops, {}, lincheck.check(ops), {**run, "faults_enabled": True})
        self.assertEqual(report.failures(out), [])


if __name__ == "__main__":
    unittest.main()
