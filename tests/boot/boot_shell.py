#!/usr/bin/env python3
"""shell-console: a normal boot starts the shell and serial services; commands
typed on COM1 (the console socket) answer with parseable lines ending in
`done seq=K status=S`; a wrong command says `error:`; killing the serial
driver makes init restart it and the console works again.
Usage: boot_shell.py ISO"""
import re

import bootlib
from bootlib import check


class Console(bootlib.ConsoleSocket):
    """Writes command lines to the node's console socket (and drains it)."""

    def __init__(self, node):
        super().__init__(node)
        self.seq = 0

    def run(self, command, timeout=20):
        """Output lines (shell text only) and the status of one command."""
        self.seq += 1
        start = len(self.node.text)
        self.type(f"@{self.seq} {command}\n".encode())
        done = self.node.wait_for(rf"shell: done seq={self.seq} status=(\d+)\r?\n", timeout, pos=start)
        out = re.findall(r"node\d+ shell: (.*)", self.node.text[start:done.start()])
        return [l.rstrip("\r") for l in out], int(done.group(1))

def test(iso):
    with bootlib.booted(iso, cmdline_extra="aion.node=1") as node:
        node.wait_for(r"shell: ready", 20)
        node.wait_for(r"serial: ready", 20)
        con = Console(node)
        try:
            out, status = con.run("help")
            check(status == 0 and out and "ps" in out[0], f"help: {out} status={status}")
            out, status = con.run("ps")
            print("ps:", *out, sep="\n  ")
            line_re = (r"\d+ (\S+) running threads=\d+ frames=\d+/\d+ cpus=0 "
                       r"syscalls=(\d+) cpu_ms=\d+ loads=\d+$")
            rows = {m.group(1): int(m.group(2)) for m in map(lambda l: re.match(line_re, l), out) if m}
            for name in ("init", "shell", "serial"):
                check(rows.get(name, 0) > 0, f"ps does not list {name} as running, with its system calls: {out}")
            # More than one answer's 512 bytes: init pages whole lines and
            # the shell asks for the rest, so every unit is there, once.
            check(sum(len(l) + 1 for l in out) > 512 and len(rows) == len(out) and
                  {"power", "ext2d", "netd", "meshd", "vfsd"} <= set(rows),
                  f"ps lost or cut lines: {out}")
            out, status = con.run("caps shell")
            check(status == 0 and any(" endpoint rights=" in l for l in out), f"caps shell: {out}")
            out, status = con.run("mem")
            check(status == 0 and re.match(r"mem free_kib=\d+ total_kib=\d+", out[0]), f"mem: {out}")
            out, status = con.run("frobnicate now")
            check(status == 1 and len(out) == 1 and out[0].startswith("error:"),
                  f"a wrong command must give one error line and status 1: {out} {status}")
            out, status = con.run("kill serial")
            check(status == 0, f"kill serial: {out} {status}")
            node.wait_for(r"init: service ended name=serial\b", 10)
            node.wait_for(r"init: service start name=serial restarts=1\b", 10)
            node.wait_for(r"serial: ready", 10, pos=node.text.rfind("restarts=1"))
            out, status = con.run("svc")
            print("services after kill:", *out, sep="\n  ")
            check(status == 0 and "serial running restarts=1" in out,
                  f"serial was not restarted: {out}")
            check("kernel: fault " not in node.text, "the kernel faulted")
        finally:
            con.close()


if __name__ == "__main__":
    bootlib.main(test)
