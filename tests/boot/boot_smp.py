#!/usr/bin/env python3
"""boot-smp: every CPU QEMU lists comes online (docs/smp.md step 1).

With 4 CPUs, APs 1..3 report `cpu online` in order with their APIC IDs,
the kernel counts 4, the system boots and its shell runs `ps`, and each
idle AP halts: its vCPU thread takes a small part of the host CPU time a
spinning CPU would (QEMU names each vCPU's host thread in `info cpus`).
With 9 CPUs, CPU_MAX (8) are started and the ninth is left halted, said
with AION_ENOSPC.
"""
import os
import re
import time

import bootlib
import aion_cluster as ac
from bootlib import check, line_at

ONLINE_RE = r"kernel: cpu online cpu=(\d+) lapic=(\d+) err=(\S+)"
SMP_RE = r"kernel: smp cpus=(\d+) listed=(\d+)"
IDLE_WINDOW_S = 5.0
IDLE_SHARE_MAX = 0.2    # of the window; a CPU that spins takes about all of it


def thread_cpu_s(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vcpu_threads(node):
    text = node.qmp("human-monitor-command", {"command-line": "info cpus"})
    return {int(c): int(t) for c, t in re.findall(r"CPU #(\d+): thread_id=(\d+)", text)}


def four_cpus(iso):
    with bootlib.booted(iso, cpus=4, cmdline_extra="aion.node=1") as node:
        smp = node.wait_for(SMP_RE, 10)
        print(line_at(node.text, smp))
        check(smp.groups() == ("4", "4"), f"want 4 of 4 CPUs: {line_at(node.text, smp)}")
        online = re.findall(ONLINE_RE, node.text)
        check(online == [(str(i), str(i), "AION_OK") for i in (1, 2, 3)],
              f"APs online: {online}")
        node.wait_for(r"shell: ready", 30)
        got = []
        check(ac.shell_exec(node, "ps", out=got.append) == 0, f"ps failed: {got}")
        check(any(re.search(r"\binit\b", g) for g in got), f"ps lists no init: {got}")
        threads = vcpu_threads(node)
        check(sorted(threads) == [0, 1, 2, 3], f"vCPU threads: {threads}")
        pid = node.proc.pid
        before = {c: thread_cpu_s(pid, t) for c, t in threads.items()}
        time.sleep(IDLE_WINDOW_S)
        for c in (1, 2, 3):
            used = thread_cpu_s(pid, threads[c]) - before[c]
            print(f"cpu {c}: {used:.2f} s of host CPU in {IDLE_WINDOW_S:.0f} s idle")
            check(used < IDLE_SHARE_MAX * IDLE_WINDOW_S,
                  f"cpu {c} used {used:.2f} s in {IDLE_WINDOW_S} s: it does not halt")


def nine_cpus(iso):
    with bootlib.booted(iso, cpus=9) as node:
        smp = node.wait_for(SMP_RE, 10)
        print(line_at(node.text, smp))
        check(smp.groups() == ("8", "9"), f"want 8 of 9 CPUs: {line_at(node.text, smp)}")
        check(re.search(r"kernel: cpu left lapic=8 err=AION_ENOSPC", node.text),
              "no `cpu left` line for the ninth CPU")
        check(len(re.findall(ONLINE_RE, node.text)) == 7, "want 7 APs online")


def test(iso):
    four_cpus(iso)
    nine_cpus(iso)


if __name__ == "__main__":
    bootlib.main(test)
