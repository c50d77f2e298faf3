#!/usr/bin/env python3
"""boot-fault-*: a kernel fault is reported with vector, name and symbol,
followed by a register dump and a halt. Usage: boot_fault.py KIND ISO with
KIND `pagefault` or `ud`; aion.selftest=KIND makes the kernel fault on
purpose once it is ready."""
import re
import sys

import bootlib
from bootlib import check, line_at

FAULT_RE = {
    "pagefault": r"kernel: fault vector=14 name=#PF .*sym=arch_selftest_page_fault\+0x[0-9a-f]+",
    "ud": r"kernel: fault vector=6 name=#UD .*sym=arch_selftest_invalid_opcode\+0x[0-9a-f]+",
}


def test_kind(kind, iso):
    with bootlib.booted(iso, cmdline_extra=f"aion.selftest={kind}") as node:
        # booted() already checked that `ready` came before any fault line.
        fault = node.wait_for(r"kernel: fault\b.*", 10)
        line = line_at(node.text, fault)
        print(line)
        check(re.search(FAULT_RE[kind], line),
              f"fault line does not match /{FAULT_RE[kind]}/: {line}")
        regs = node.wait_for(r"kernel: regs\b", 5, pos=fault.end())
        node.wait_for(r"kernel: halted\b", 5, pos=regs.end())


if __name__ == "__main__":
    kind = sys.argv.pop(1) if len(sys.argv) > 1 else ""
    if kind not in FAULT_RE:
        sys.exit(f"usage: boot_fault.py {{{'|'.join(FAULT_RE)}}} ISO")
    bootlib.main(lambda iso: test_kind(kind, iso))
