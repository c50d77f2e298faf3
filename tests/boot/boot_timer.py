#!/usr/bin/env python3
"""boot-timer: the LAPIC timer and the TSC are calibrated to within 5% of
the PIT (the kernel times a wait with each clock and measures it on the PIT)."""
import bootlib
from bootlib import check, fields, line_at

CALIBRATED_RE = r"timer: calibrated lapic_hz=.*"


def test(iso):
    with bootlib.booted(iso) as node:
        line = line_at(node.text, node.wait_for(CALIBRATED_RE, 5))
        print(line)
        f = fields(line)
        for key in ("lapic_hz", "tsc_hz"):
            check(int(f.get(key, 0)) > 0, f"{key} missing or not positive: {line}")
        for clock in ("lapic", "tsc"):
            line = line_at(node.text, node.wait_for(
                rf"timer: check clock={clock} want_ns=\d+ pit_ns=\d+", 5))
            f = fields(line)
            want, pit = int(f["want_ns"]), int(f["pit_ns"])
            check(want > 0, f"want_ns is 0: {line}")
            ratio = pit / want
            print(f"clock={clock}: pit_ns/want_ns = {ratio:.4f}")
            check(0.95 <= ratio <= 1.05,
                  f"clock={clock}: pit_ns/want_ns = {ratio:.4f}, outside 0.95..1.05: {line}")


if __name__ == "__main__":
    bootlib.main(test)
