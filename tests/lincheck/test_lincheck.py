#!/usr/bin/env python3
"""Tests of the linearizability checker (lincheck.py, kvmodel.py,
window.py): hand-made histories with known verdicts, a brute-force
reference on small random histories, and random histories generated from
a sequential execution. Run: python3 tests/lincheck/test_lincheck.py"""
import itertools
import json
import random
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import history  # noqa: E402
import kvmodel  # noqa: E402
import lincheck  # noqa: E402
from history import Op  # noqa: E402


# Hand-made operations: (a, b) is the interval; b=None: result unknown.
def _op(f, key, args, a, b, output, **kw):
    result = kw.pop("result", history.OK if b is not None else history.UNKNOWN)
    return Op(f, key, tuple(args), a, b, result, output if result == history.OK else None, **kw)


def put(v, a, b, key="k", **kw):
    return _op("put", key, [v], a, b, {}, **kw)


def get(v, a, b, key="k"):
    return _op("get", key, [], a, b, {"value": v})


def cas(old, new, a, b, applied=True, current=None, key="k"):
    out = {"applied": True} if applied else {"applied": False, "current": current}
    return _op("cas", key, [old, new], a, b, out)


def add(n, a, b, value=None, error=None, key="k"):
    return _op("add", key, [n], a, b, {"value": value} if error is None else {"error": error})


def linearizable(ops, **kw):
    return lincheck.verdict(lincheck.check(ops, **kw)) == lincheck.LINEARIZABLE


class Registers(unittest.TestCase):
    def test_write_then_read(self):
        self.assertTrue(linearizable([put("a", 0, 1), get("a", 2, 3)]))

    def test_stale_read_after_a_completed_write(self):
        self.assertFalse(linearizable([put("a", 0, 1), put("b", 2, 3), get("a", 4, 5)]))

    def test_lost_acknowledged_write(self):
        self.assertFalse(linearizable([put("a", 0, 1), get(None, 2, 3)]))

    def test_read_before_its_write_was_invoked(self):
        self.assertFalse(linearizable([get("a", 0, 1), put("a", 2, 3)]))

    def test_read_concurrent_with_its_write(self):
        self.assertTrue(linearizable([get("a", 0, 2), put("a", 1, 3)]))

    def test_concurrent_writes_either_order(self):
        for last in ("a", "b"):
            self.assertTrue(linearizable([put("a", 0, 3), put("b", 1, 2), get(last, 4, 5)]))
        self.assertFalse(linearizable([put("a", 0, 3), put("b", 1, 2), get("c", 4, 5)]))

    def test_two_readers_disagree_on_the_order(self):
        # Once one reader saw b after a, a later reader cannot see a again.
        ops = [put("a", 0, 10), put("b", 0, 10), get("a", 1, 2), get("b", 3, 4), get("a", 5, 6)]
        self.assertFalse(linearizable(ops))
        self.assertTrue(linearizable(ops[:4]))

    def test_absent_key(self):
        self.assertTrue(linearizable([get(None, 0, 1)]))
        self.assertTrue(linearizable([get(None, 0, 2), put("a", 1, 3)]))
        self.assertFalse(linearizable([put("a", 0, 1), get(None, 2, 3)]))

    def test_keys_are_independent(self):
        ops = [put("a", 0, 1, key="x"), get(None, 2, 3, key="y"), get("a", 2, 3, key="x")]
        self.assertTrue(linearizable(ops))
        results = lincheck.check(ops + [get(None, 4, 5, key="x")])
        self.assertEqual(results["x"].verdict, lincheck.NOT_LINEARIZABLE)
        self.assertEqual(results["y"].verdict, lincheck.LINEARIZABLE)


class Unknown(unittest.TestCase):
    def test_unknown_write_must_be_applied(self):
        self.assertTrue(linearizable([put("a", 0, None), get("a", 5, 6)]))

    def test_unknown_write_applied_late(self):
        ops = [put("a", 0, 1), put("b", 2, None), get("a", 3, 4), get("b", 5, 6)]
        self.assertTrue(linearizable(ops))
        # ...but once it was seen, it cannot be undone.
        self.assertFalse(linearizable(ops + [get("a", 7, 8)]))

    def test_unknown_write_not_applied(self):
        self.assertTrue(linearizable([put("a", 0, 1), put("b", 2, None), get("a", 30, 31)]))

    def test_unknown_write_not_before_its_invocation(self):
        self.assertFalse(linearizable([get("b", 0, 1), put("b", 2, None)]))

    def test_failed_write_never_applied(self):
        failed = put("b", 0, 1, result=history.FAIL)
        self.assertTrue(linearizable([failed, get(None, 2, 3)]))
        self.assertFalse(linearizable([failed, get("b", 2, 3)]))

    def test_unknown_read_constrains_nothing(self):
        self.assertTrue(linearizable([put("a", 0, 1), _op("get", "k", [], 2, None, None)]))

    def test_many_equal_unknown_adds_stay_cheap(self):
        ops = [add(1, i, None) for i in range(60)] + [get("17", 100, 101)]
        results = lincheck.check(ops)
        self.assertEqual(results["k"].verdict, lincheck.LINEARIZABLE)
        self.assertLess(results["k"].states, 500)

    def test_unread_unknown_writes_are_dropped(self):
        ops = [put(f"u{i}", i, None) for i in range(40)] + [put("a", 50, 51), get("a", 52, 53)]
        self.assertEqual(len(lincheck.relevant(ops)), 2)
        self.assertTrue(linearizable(ops))


class Cas(unittest.TestCase):
    def test_applied_and_conflict(self):
        ops = [put("a", 0, 1), cas("a", "b", 2, 3), cas("a", "c", 4, 5, False, "b"), get("b", 6, 7)]
        self.assertTrue(linearizable(ops))

    def test_conflict_reporting_a_stale_value(self):
        ops = [put("a", 0, 1), cas("a", "b", 2, 3), cas("a", "c", 4, 5, False, "a")]
        self.assertFalse(linearizable(ops))

    def test_applied_on_the_wrong_value(self):
        self.assertFalse(linearizable([put("a", 0, 1), cas("x", "b", 2, 3)]))

    def test_expected_absent(self):
        self.assertTrue(linearizable([cas("", "a", 0, 1), get("a", 2, 3)]))
        self.assertFalse(linearizable([put("z", 0, 1), cas("", "a", 2, 3)]))
        # A conflict cannot report the value it expected.
        self.assertFalse(linearizable([cas("", "a", 0, 1, False, None)]))

    def test_two_cas_from_one_value(self):
        ops = [put("a", 0, 1), cas("a", "b", 2, 5), cas("a", "c", 2, 5)]
        self.assertFalse(linearizable(ops))
        self.assertTrue(linearizable(ops[:2] + [cas("a", "c", 2, 5, False, "b")]))


class Add(unittest.TestCase):
    def test_chain(self):
        self.assertTrue(linearizable([add(1, 0, 1, 1), add(2, 2, 3, 3), get("3", 4, 5)]))

    def test_concurrent_adds_either_order(self):
        self.assertTrue(linearizable([add(1, 0, 5, 1), add(2, 1, 4, 3)]))
        self.assertTrue(linearizable([add(1, 0, 5, 3), add(2, 1, 4, 2)]))

    def test_lost_add(self):
        # Both answered 1: one of them was lost (or applied on a stale copy).
        self.assertFalse(linearizable([add(1, 0, 1, 1), add(1, 2, 3, 1)]))

    def test_doubled_add(self):
        self.assertFalse(linearizable([add(1, 0, 1, 1), get("2", 2, 3)]))
        # An add whose result is unknown may explain it.
        self.assertTrue(linearizable([add(1, 0, 1, 1), add(1, 0.5, None), get("2", 2, 3)]))
        # ...but only once.
        self.assertFalse(linearizable([add(1, 0, 1, 1), add(1, 0.5, None), get("3", 2, 3)]))

    def test_refusals(self):
        self.assertTrue(linearizable([put("x", 0, 1), add(1, 2, 3, error=kvmodel.EINVAL),
                                      get("x", 4, 5)]))
        self.assertFalse(linearizable([add(1, 0, 1, error=kvmodel.EINVAL)]))
        big = str(kvmodel.INT64_MAX)
        self.assertTrue(linearizable([put(big, 0, 1), add(1, 2, 3, error=kvmodel.ERANGE)]))
        self.assertFalse(linearizable([put(big, 0, 1), add(-1, 2, 3, error=kvmodel.ERANGE)]))

    def test_store_parsing(self):
        self.assertEqual(kvmodel.parse_i64("-9223372036854775808"), (-2 ** 63, None))
        self.assertEqual(kvmodel.parse_i64("9223372036854775808"), (None, kvmodel.ERANGE))
        self.assertEqual(kvmodel.parse_i64("99999999999999999999x"), (None, kvmodel.ERANGE))
        for bad in ("", "-", "1.5", " 1", "x1", "\u0661"):
            self.assertEqual(kvmodel.parse_i64(bad), (None, kvmodel.EINVAL), bad)
        self.assertEqual(kvmodel.add_result("007", 1), ("8", None))
        self.assertEqual(kvmodel.add_result(None, -4), ("-4", None))


class Windows(unittest.TestCase):
    def window(self, ops):
        r = lincheck.check(ops)["k"]
        self.assertEqual(r.verdict, lincheck.NOT_LINEARIZABLE)
        return r.window

    def test_stale_read_window(self):
        ops = [put("a", 0, 1), get("a", 1.5, 1.8), put("b", 2, 3), get("b", 3.5, 4),
               get("a", 4.5, 5), put("c", 6, 7)]
        w = self.window(ops)
        self.assertIs(w.initial, kvmodel.ANY)
        self.assertEqual([(op.f, op.args) for op in w.ops], [("get", ()), ("get", ())])
        self.assertEqual([op.output["value"] for op in w.ops], ["b", "a"])
        self.assertIn("from any earlier state", lincheck.window.describe(w, "k"))

    def test_window_from_the_initial_state(self):
        # No state explains a then b with no write of a: the window starts
        # after the first put b.
        w = self.window([put("b", 0, 1), get("b", 2, 3), get("a", 4, 5), put("a", 6, 7)])
        self.assertIs(w.initial, kvmodel.ANY)
        self.assertEqual([op.output["value"] for op in w.ops], ["b", "a"])
        # A read of a value before any write: only the initial state explains it.
        w = self.window([get("a", 0, 1), put("b", 2, 3), get("b", 4, 5), put("a", 6, 7)])
        self.assertIs(w.initial, kvmodel.ABSENT)
        self.assertEqual([(op.f, op.output["value"]) for op in w.ops], [("get", "a")])
        self.assertIn("from the initial state", lincheck.window.describe(w, "k"))

    def test_window_keeps_an_op_across_its_start_bounded(self):
        # put a runs across the window's start: it may not be moved after put b.
        w = self.window([put("a", 0, 1), get(None, 0.5, 0.7), put("b", 2, 3), get("a", 4, 5)])
        self.assertEqual(len([op for op in w.ops if op.known]), 2)


def brute_force(ops, initial=kvmodel.ABSENT):
    """By the definition, with no cleverness: some order of the known ops
    and some of the others, each after every op that completed before it
    was invoked, in which the model gives every known output."""
    def precedes(b, a):
        return b.complete is not None and b.complete < a.invoke

    def extend(state, left):
        if all(not op.known for op in left):
            return True
        for a in left:
            if any(precedes(b, a) for b in left if b.known):
                continue
            new = kvmodel.step(state, a)
            # Choosing a drops the optional ops that had to come before it.
            if new is not kvmodel.ILLEGAL and \
                    extend(new, [b for b in left if b is not a and not precedes(b, a)]):
                return True
        return False
    return extend(initial, [op for op in ops if op.known or op.f != "get"])


def true_output(state, f, args):
    if f == "get":
        return {"value": state}
    if f == "cas":
        ok = state == (args[0] or None)
        return {"applied": True} if ok else {"applied": False, "current": state}
    if f == "add":
        v, err = kvmodel.add_result(state, args[0])
        return {"value": int(v)} if err is None else {"error": err}
    return {}


def random_call(rng, i, state, written):
    f = rng.choice(["get", "get", "put", "put", "cas", "add"])
    if f == "put":
        v = rng.choice([f"v{i}", str(rng.randint(-3, 9)), str(kvmodel.INT64_MAX - rng.randint(0, 2))])
        written.append(v)
        return f, [v]
    if f == "cas":
        old = state if rng.random() < 0.5 and state is not None else rng.choice(written + [""])
        new = f"c{i}"
        written.append(new)
        return f, [old, new]
    return f, ([rng.randint(-2, 4)] if f == "add" else [])


def client_history(rng, n, keys=("k",), clients=4, p_unknown=0.1, mean_s=1.0):
    """n ops of clients that each have one op at a time, each op taking
    effect at a random point of its interval (in that order: a sequential
    execution), so the history is linearizable. An unknown op took effect
    or not (half each)."""
    slots = []
    for c in range(clients):
        t = rng.uniform(0, 1)
        for _ in range(n // clients):
            d = rng.expovariate(1 / mean_s)
            slots.append((t + rng.uniform(0, d), t, t + d, c))
            t += d + rng.expovariate(4.0)
    slots.sort()
    state, written, ops = {}, {k: [] for k in keys}, []
    for i, (_, a, b, c) in enumerate(slots):
        key = rng.choice(keys)
        f, args = random_call(rng, i, state.get(key), written[key])
        op = Op(f, key, tuple(args), a, b, history.OK, true_output(state.get(key), f, args), i, c)
        if rng.random() < p_unknown:
            applied = rng.random() < 0.5
            if applied:
                state[key] = kvmodel.step(state.get(key), op)
            op = op.unknown()
        else:
            state[key] = kvmodel.step(state.get(key), op)
        ops.append(op)
    return ops


def mutate(rng, ops, written):
    """ops with one known output changed, or None when no op has one."""
    cands = [i for i, op in enumerate(ops) if op.known and op.f != "put"]
    if not cands:
        return None
    i = rng.choice(cands)
    op, out = ops[i], dict(ops[i].output)
    if op.f == "get":
        out["value"] = rng.choice([v for v in written + [None] if v != out["value"]] or ["zz"])
    elif op.f == "cas":
        out = {"applied": False, "current": rng.choice(written + [None])} if out["applied"] \
            else {"applied": True}
    elif "value" in out:
        out["value"] += rng.choice([-1, 1])
    else:
        out = {"value": 1}
    return ops[:i] + [Op(op.f, op.key, op.args, op.invoke, op.complete, op.result, out,
                         op.id, op.client)] + ops[i + 1:]


class Random(unittest.TestCase):
    def test_generated_histories_are_linearizable(self):
        rng = random.Random(1)
        for _ in range(200):
            ops = client_history(rng, rng.randint(4, 60), ("a", "b"))
            self.assertTrue(linearizable(ops), [history.to_json(op) for op in ops])

    def test_agrees_with_brute_force(self):
        rng = random.Random(2)
        found = 0
        for round_ in range(400):
            ops = client_history(rng, rng.randint(3, 7), clients=3, p_unknown=0.25)
            if round_ % 2:
                ops = mutate(rng, ops, sorted({a for op in ops for a in op.args
                                                if isinstance(a, str) and a})) or ops
            expect = brute_force(ops)
            found += not expect
            self.assertEqual(linearizable(ops), expect, [history.to_json(op) for op in ops])
        self.assertGreater(found, 50)       # the mutations do break histories

    def test_windows_fail_by_brute_force(self):
        rng = random.Random(3)
        checked = 0
        while checked < 60:
            ops = client_history(rng, 7, clients=3, p_unknown=0.2)
            ops = mutate(rng, ops, ["v1", "c2", "5"]) or ops
            r = lincheck.check(ops)["k"]
            if r.verdict != lincheck.NOT_LINEARIZABLE:
                continue
            checked += 1
            w = r.window
            self.assertFalse(brute_force(w.ops, w.initial))
            self.assertLessEqual(len(w.ops), len(ops))

    def test_a_read_of_a_value_never_written_is_found(self):
        rng = random.Random(4)
        for _ in range(20):
            ops = client_history(rng, 400, ("a", "b", "c"), clients=5, p_unknown=0.05)
            reads = [i for i, op in enumerate(ops) if op.known and op.f == "get"]
            i = rng.choice(reads)
            bad = Op("get", ops[i].key, (), ops[i].invoke, ops[i].complete, history.OK,
                     {"value": "never-written"}, ops[i].id)
            results = lincheck.check(ops[:i] + [bad] + ops[i + 1:])
            self.assertEqual(results[bad.key].verdict, lincheck.NOT_LINEARIZABLE)

    def test_most_random_mutations_are_found(self):
        rng = random.Random(5)
        found = 0
        for _ in range(100):
            ops = client_history(rng, 200, ("a", "b"), clients=5, p_unknown=0.05)
            written = sorted({a for op in ops for a in op.args if isinstance(a, str) and a})
            found += not linearizable(mutate(rng, ops, written))
        print(f"\nrandom mutations found: {found} of 100", file=sys.stderr)
        self.assertGreater(found, 60)


class Budget(unittest.TestCase):
    def test_gives_up_rather_than_runs_for_hours(self):
        ops = client_history(random.Random(6), 300, clients=8, p_unknown=0.3)
        results = lincheck.check(ops, max_states=50)
        self.assertEqual(lincheck.verdict(results), lincheck.GAVE_UP)

    def test_thousands_of_ops_in_seconds(self):
        keys = tuple(f"k{i}" for i in range(20))
        rng = random.Random(7)
        ops = client_history(rng, 6000, keys, clients=5, p_unknown=0.05)
        reads = [i for i, op in enumerate(ops) if op.known and op.f == "get"]
        for i in rng.sample(reads, 3):      # three keys made wrong
            ops[i] = Op("get", ops[i].key, (), ops[i].invoke, ops[i].complete, history.OK,
                        {"value": "never-written"}, ops[i].id)
        t0 = time.monotonic()
        results = lincheck.check(ops)
        took = time.monotonic() - t0
        print(f"\n6000 ops, 20 keys, 5 clients, 5% unknown, 3 keys wrong: {took:.2f} s, "
              f"largest search {max(r.states for r in results.values())} states", file=sys.stderr)
        bad = [k for k, r in results.items() if r.verdict == lincheck.NOT_LINEARIZABLE]
        self.assertEqual(len(bad), 3)
        self.assertEqual(len(bad) + len([r for r in results.values()
                                         if r.verdict == lincheck.LINEARIZABLE]), 20)
        self.assertLess(took, 60)       # a generous limit: well under 1 s here


class Files(unittest.TestCase):
    def test_round_trip_and_exit_status(self):
        ops = [put("a", 0, 1), put("b", 2, None), put("c", 2, 3, result=history.FAIL),
               get("a", 4, 5)]
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "h.jsonl"
            path.write_text("".join(history.to_json(op) + "\n" for op in ops))
            self.assertEqual(history.load(path), ops)
            self.assertEqual(lincheck.main([str(path), "--json"]), 0)
            path.write_text(path.read_text() + history.to_json(get("c", 6, 7)) + "\n")
            self.assertEqual(lincheck.main([str(path)]), 1)
            path.write_text('{"f": "get"}\n')
            self.assertEqual(lincheck.main([str(path)]), 3)

    def test_format_is_checked(self):
        with self.assertRaises(ValueError):
            history.from_json(json.loads(history.to_json(put("a", 2, 1))))
        with self.assertRaises(ValueError):
            history.check_op(Op("cas", "k", ("a",), 0, 1, history.OK, {}))


if __name__ == "__main__":
    unittest.main()
