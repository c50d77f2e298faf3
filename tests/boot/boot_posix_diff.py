#!/usr/bin/env python3
"""posix-diff: issue 17's differential test. Usage: boot_posix_diff.py
NAME=HOSTEXE... ISO. Each HOSTEXE is a program of tests/posix built for the
host with Debian's musl (musl-gcc); it runs here, stdout and stderr into
one pipe (both fully buffered or unbuffered alike on Aion, where neither is
a terminal yet), and its lines and exit status are what Aion must give.
aion.test=posixdiff makes utest run the same sources built with aion-cc,
each as unit NAME between `posixdiff start prog=NAME` and `posixdiff end
prog=NAME ... exit_code=N` lines; the unit's log lines between the two
are its output (the POSIX layer makes one log line per printed line)."""
import re
import subprocess
import sys

import bootlib
from bootlib import check, fields, line_at

HOST_TIMEOUT_S = 30
VERDICT_TIMEOUT_S = 120


def host_run(exe):
    """(lines, exit status) of exe run on the host."""
    p = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=HOST_TIMEOUT_S, check=False)
    check(p.returncode >= 0, f"{exe} died of signal {-p.returncode} on the host")
    return p.stdout.decode(errors="replace").splitlines(), p.returncode


def aion_runs(text, names):
    """{name: (lines, exit_code)} from utest's markers in the node's log."""
    runs = {}
    for name in names:
        start = re.search(rf"utest: posixdiff start prog={name}\r?$", text, re.MULTILINE)
        check(start is not None, f"utest never started {name}")
        end = re.search(rf"utest: posixdiff end prog={name} .*", text[start.end():])
        check(end is not None, f"utest never saw {name} end")
        e = fields(end.group(0))
        check(e.get("err") == "AION_OK" and e.get("state") == "2",
              f"{name} did not exit: {end.group(0)}")
        between = text[start.end():start.end() + end.start()]
        lines = re.findall(rf"\] \S+ {re.escape(name)}: ?(.*?)\r?$", between, re.MULTILINE)
        runs[name] = (lines, int(e["exit_code"]))
    return runs


def main(iso, programs):
    want = {}
    for name, exe in programs:
        want[name] = host_run(exe)
        print(f"host {name}: exit {want[name][1]}, {len(want[name][0])} lines")
    with bootlib.booted(iso, cmdline_extra="aion.test=posixdiff") as node:
        m = node.wait_for(r"utest: test posixdiff (?P<word>ok|FAIL)\b.*", VERDICT_TIMEOUT_S)
        print(line_at(node.text, m))
        got = aion_runs(node.text[:m.start()], [n for n, _ in programs])
        check(m.group("word") == "ok", f"utest's verdict: {line_at(node.text, m)}")
    bad = []
    for name, _ in programs:
        (hl, hs), (al, as_) = want[name], got[name]
        same = hl == al and hs == as_
        print(f"{name}: {'same' if same else 'DIFFERENT'} ({len(al)} lines, exit {as_})")
        if not same:
            bad.append(name)
            print(f"  host: exit {hs} {hl}\n  aion: exit {as_} {al}")
    check(not bad, f"output or status differs from the host for {bad}")
    print(f"{len(programs)} programs: same lines and exit status on Aion and on the host")


if __name__ == "__main__":
    args = sys.argv[1:-1]
    progs = [tuple(a.split("=", 1)) for a in args]
    if not progs or any(len(p) != 2 for p in progs):
        sys.exit("usage: boot_posix_diff.py NAME=HOSTEXE... ISO")
    del sys.argv[1:-1]
    bootlib.main(lambda iso: main(iso, progs))
