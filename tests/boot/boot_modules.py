#!/usr/bin/env python3
"""boot-modules: the kernel lists its multiboot2 modules, and the image
carries the kernel symbol table as a module named `ksyms`."""
import re

import bootlib
from bootlib import check

MODULE_RE = r"kernel: module name=(\S+) start=0x([0-9a-fA-F]+) end=0x([0-9a-fA-F]+)"


def test(iso):
    with bootlib.booted(iso) as node:
        node.wait_for(MODULE_RE, 5)
        modules = {m[0]: (int(m[1], 16), int(m[2], 16))
                   for m in re.findall(MODULE_RE, node.complete())}
        for name, (start, end) in modules.items():
            print(f"module {name}: {end - start} bytes at {start:#x}")
        check("ksyms" in modules, f"no module named ksyms among {sorted(modules)}")
        start, end = modules["ksyms"]
        check(end > start, f"ksyms module is empty: start={start:#x} end={end:#x}")


if __name__ == "__main__":
    bootlib.main(test)
