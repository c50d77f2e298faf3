#!/usr/bin/env python3
"""boot-memory: the kernel sees the memory QEMU gives it (-m 128 and -m 512)."""
import time

import bootlib
from bootlib import check, fields, line_at

MEM_RE = r"kernel: mem usable_kib=.*"


def check_memory(iso, mem_mib):
    with bootlib.booted(iso, mem_mib=mem_mib) as node:
        line = line_at(node.text, node.wait_for(MEM_RE, 5))
        f = fields(line)
        check({"usable_kib", "top_kib", "free_frames"} <= f.keys(),
              f"-m {mem_mib}: mem line lacks a key: {line}")
        usable, top, frames = (int(f[k]) for k in ("usable_kib", "top_kib", "free_frames"))
        print(f"-m {mem_mib}: usable_kib={usable} top_kib={top} free_frames={frames}")
        top_mib = -(-top // 1024)
        check(top_mib == mem_mib,
              f"-m {mem_mib}: top_kib={top} rounds up to {top_mib} MiB, not {mem_mib}")
        low, high = mem_mib * 1024 - 2048, mem_mib * 1024
        check(low <= usable <= high,
              f"-m {mem_mib}: usable_kib={usable} outside [{low}, {high}]")
        check(usable / 2 < frames * 4 <= usable,
              f"-m {mem_mib}: free_frames={frames} ({frames * 4} KiB) not in "
              f"({usable / 2:g}, {usable}] KiB")
        time.sleep(0.5)  # let a fault right after `ready` reach the log too
        faults = [l for l in node.log_lines() if "fault" in l]
        check(not faults, f"-m {mem_mib}: fault reported: {faults[0] if faults else ''}")


def test(iso):
    for mem_mib in (128, 512):
        check_memory(iso, mem_mib)


if __name__ == "__main__":
    bootlib.main(test)
