#!/usr/bin/env python3
"""Tests of the lost-write count (lost.py). Run:
python3 tests/lincheck/test_lost.py"""
import dataclasses
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lost  # noqa: E402
from test_lincheck import add, cas, get, put  # noqa: E402


def lost_ids(ops, final):
    """ids of the lost writes; final: the final read's value of key k."""
    ops = [dataclasses.replace(op, id=i) for i, op in enumerate(ops)]
    last = max(op.complete or op.invoke for op in ops) + 10
    return [w.id for w in lost.lost_writes(ops, {"k": get(final, last, last + 1)})]


class Registers(unittest.TestCase):
    def test_kept_write(self):
        self.assertEqual(lost_ids([put("a", 0, 1)], "a"), [])

    def test_write_missing_from_the_end(self):
        self.assertEqual(lost_ids([put("a", 0, 1)], None), [0])
        self.assertEqual(lost_ids([put("a", 0, 1), put("b", 2, 3)], "a"), [1])

    def test_overwritten_is_not_lost(self):
        self.assertEqual(lost_ids([put("a", 0, 1), put("b", 2, 3)], "b"), [])
        # b was concurrent with a: it may have come after a.
        self.assertEqual(lost_ids([put("a", 0, 2), put("b", 1, 3)], "b"), [])
        # An unknown write may have overwritten it.
        self.assertEqual(lost_ids([put("a", 0, 1), put("u", 2, None)], "u"), [])

    def test_seen_later_is_not_lost(self):
        # Missing at the end but read after the write: not lost (lincheck
        # finds that history not linearizable).
        self.assertEqual(lost_ids([put("a", 0, 1), get("a", 2, 3)], None), [])

    def test_cas_and_conflicts(self):
        ops = [put("a", 0, 1), cas("a", "b", 2, 3), cas("b", "c", 4, 5, False, "a")]
        self.assertEqual(lost_ids(ops, "a"), [1])
        self.assertEqual(lost_ids(ops[:2] + [cas("b", "c", 4, 5)], "c"), [])

    def test_a_value_of_a_failed_write_proves_nothing_older(self):
        ops = [put("a", 0, 1), put("x", 0.5, 1.5, result="fail"), put("b", 2, 3)]
        self.assertEqual(lost_ids(ops, "x"), [2])
        self.assertEqual(lost_ids(ops[:2] + [put("b", 0.2, 3)], "x"), [])

    def test_only_acknowledged_writes_count(self):
        ops = [put("a", 0, None), cas("z", "b", 0, 1, False, None), add(1, 0, 1, error="AION_EINVAL")]
        self.assertEqual(lost_ids(ops, None), [])

    def test_key_without_final_read(self):
        self.assertEqual(lost.lost_writes([put("a", 0, 1)], {}), [])


class Counters(unittest.TestCase):
    def test_counter_below_an_acknowledged_add(self):
        ops = [add(1, 0, 1, 1), add(1, 2, 3, 2), add(1, 4, 5, 3)]
        self.assertEqual(lost_ids(ops, "3"), [])
        self.assertEqual(lost_ids(ops, "2"), [2])
        self.assertEqual(lost_ids(ops, None), [0, 1, 2])

    def test_unknown_adds_do_not_hide_a_rollback(self):
        ops = [add(1, 0, 1, 1), add(1, 2, 3, 2), add(1, 2.5, None)]
        self.assertEqual(lost_ids(ops, "1"), [1])

    def test_a_put_makes_it_a_register(self):
        self.assertTrue(lost.is_counter([add(1, 0, 1, 1), cas("1", "5", 2, 3)]))
        self.assertFalse(lost.is_counter([add(1, 0, 1, 1), put("0", 2, 3)]))
        self.assertFalse(lost.is_counter([add(-1, 0, 1, -1)]))
        # On a register an unknown add could have written any number.
        ops = [put("7", 0, 1), add(1, 2, 3, 8), add(-5, 2.5, None)]
        self.assertEqual(lost_ids(ops, "3"), [])
        self.assertEqual(lost_ids(ops[:2], "7"), [1])


if __name__ == "__main__":
    unittest.main()
