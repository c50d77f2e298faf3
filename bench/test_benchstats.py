#!/usr/bin/env python3
"""Host tests of bench/benchstats.py (the benches' median, mean, p99, max).
Run: python3 bench/test_benchstats.py"""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchstats  # noqa: E402


class Figures(unittest.TestCase):
    def test_ten_samples(self):
        f = benchstats.figures([5, 1, 4, 2, 3, 10, 9, 8, 7, 6], "ms")
        self.assertEqual(f, {"n": 10, "median_ms": 5.5, "mean_ms": 5.5, "p99_ms": 10,
                             "max_ms": 10})

    def test_p99_nearest_rank(self):
        # 1..200: 99% of 200 is 198 samples, so p99 is the 198th smallest.
        self.assertEqual(benchstats.p99(range(200, 0, -1)), 198)
        self.assertEqual(benchstats.p99(range(1, 101)), 99)
        self.assertEqual(benchstats.p99([7]), 7)

    def test_rounding_and_unit(self):
        f = benchstats.figures([1.04, 1.06, 2.0], "us")
        self.assertEqual(f["median_us"], 1.1)
        self.assertEqual(f["mean_us"], 1.4)
        self.assertEqual(set(f), {"n", "median_us", "mean_us", "p99_us", "max_us"})

    def test_no_samples_is_an_error(self):
        with self.assertRaises(ValueError):
            benchstats.figures([], "ms")


if __name__ == "__main__":
    unittest.main()
