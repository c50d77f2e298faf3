#!/usr/bin/env python3
"""utest-all-Ncpu, utest-posixall-Ncpu: the whole in-guest set of utest in
two boots of N CPUs (issue 19: the set with 1, 2 and 4 CPUs; with 1 it is
the tests that boot once each). Usage: boot_all.py all|posixall CPUS ISO.
aion.test=all runs every test of utest's table that init runs alone,
posixall every POSIX and VFS test, which it runs next to its test services,
one after the other, but those with a boot of their own (space/utest/main.c:
own_boot); each prints `utest: test NAME ok|FAIL`, and utest ends with
`utest: done passed=P failed=F`. Every test must pass, none may be missing,
and the kernel must not fault, halt or leak."""
import re
import sys

import bootlib
from bootlib import check, fields, line_at
from boot_units import KERNEL_BAD_RE, NO_VERDICT_RE, wait_unless

# The set takes about SET_S on a quiet host with 2 vCPUs; several times that.
SET_S = 240
DONE_TIMEOUT_S = 4 * SET_S
# faultep's ended units and fuzzsmp's fuzzers need more than 128 MiB (boot_units.py).
MEM_MIB = 256


def run(which, cpus, iso):
    with bootlib.booted(iso, mem_mib=MEM_MIB, cpus=cpus,
                        cmdline_extra=f"aion.test={which}") as node:
        done = wait_unless(node, r"utest: done passed=\d+ failed=\d+", NO_VERDICT_RE, DONE_TIMEOUT_S)
        line = line_at(node.text, done)
        print(line)
        verdicts = re.findall(r"utest: test (\S+) (ok|FAIL)\b", node.text)
        failed = sorted({name for name, word in verdicts if word == "FAIL"})
        started = re.findall(r"utest: all: run (\S+)", node.text)
        print(f"{len(started)} tests started, {len(verdicts)} verdicts, "
              f"{len(failed)} failed on {cpus} CPUs")
        v = fields(line)
        check(not failed and v.get("failed") == "0", f"failed on {cpus} CPUs: {', '.join(failed)}")
        # Each test of the table gave at least one verdict of its own name.
        named = {name for name, _ in verdicts}
        missing = [name for name in started if name not in named]
        check(started and not missing, f"no verdict from: {', '.join(missing) or 'any test'}")
        check(int(v.get("passed", 0)) >= len(started), f"fewer passed than started: {line}")
        check(f"kernel: smp cpus={cpus} " in node.text, f"the node did not start {cpus} CPUs")
        bad = re.search(rf"{KERNEL_BAD_RE}.*", node.text, re.MULTILINE)
        check(bad is None, f"the kernel reported `{line_at(node.text, bad) if bad else ''}`")
        leak = re.search(r"kernel: unit destroy (?:leak|shared)\b.*", node.text)
        check(leak is None, f"a unit leaked frames: {line_at(node.text, leak) if leak else ''}")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("all", "posixall") or not sys.argv[2].isdigit():
        sys.exit("usage: boot_all.py all|posixall CPUS ISO")
    which, n = sys.argv.pop(1), int(sys.argv.pop(1))
    bootlib.main(lambda iso: run(which, n, iso))
