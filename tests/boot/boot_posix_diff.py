#!/usr/bin/env python3
"""posix-diff: issue 17's differential test. Usage: boot_posix_diff.py
NAME=HOSTEXE... ISO. aion.test=posixdiff makes utest run its table of runs
(space/utest/posix_tests.c), each a program built with aion-cc started
with an argv (argv[0] = NAME, its unit's name) and an empty environment
between `posixdiff start run=I prog=NAME argc=N` (then one `posixdiff arg
run=I i=J value=...` line an argument) and `posixdiff end run=I ...
exit_code=N` lines; the unit's log lines between the two are its output
(the POSIX layer makes one log line per printed line). Each run's argv
then runs here, with an empty environment too, with NAME's HOSTEXE (the same source built with Debian's musl-gcc, or
Debian's lua5.4 for lua; argv[0] stays NAME, so messages that name the
program match), stdout and stderr into one pipe (on Aion neither is a
terminal yet, so both buffer alike), and its lines and exit status must be
Aion's. The node's log shows each byte outside printable ASCII as `?`
(the kernel's DEBUG_LOG), so the host's lines are compared as the log
would show them (Lua's print separates values with tabs). Every NAME must have run at least once."""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import bootlib
from bootlib import check, fields, line_at

HOST_TIMEOUT_S = 30
VERDICT_TIMEOUT_S = 180


# The initramfs's trees a run may name by relative paths (deploy/meson.build):
# the host runs every program from a folder that holds them alike.
ROOT_TREES = {"share/lua": Path(__file__).resolve().parent.parent / "posix" / "lua"}


def host_root(d, exes):
    """Makes d look like the node's root for the runs: ROOT_TREES, /tmp,
    and bin/NAME for the C programs (procs execs bin/args)."""
    for dest, src in ROOT_TREES.items():
        (d / dest).parent.mkdir(parents=True, exist_ok=True)
        (d / dest).symlink_to(src)
    (d / "tmp").mkdir()
    (d / "bin").mkdir()
    for name, exe in exes.items():
        if name != "lua":
            (d / "bin" / name).symlink_to(exe)
    return d


def host_run(exe, argv, cwd):
    """(lines, exit status) of argv run on the host with exe, from cwd."""
    p = subprocess.run(argv, executable=exe, stdin=subprocess.DEVNULL, env={}, cwd=cwd,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=HOST_TIMEOUT_S, check=False)
    check(p.returncode >= 0, f"{argv} died of signal {-p.returncode} on the host")
    lines = p.stdout.decode("latin-1").splitlines()
    return [re.sub(r"[^\x20-\x7e]", "?", ln) for ln in lines], p.returncode


def aion_runs(text):
    """[(name, argv, lines, exit_code)] from utest's markers in the log."""
    runs = []
    for start in re.finditer(r"utest: posixdiff start run=(\d+) prog=(\S+) argc=(\d+)\r?$",
                             text, re.MULTILINE):
        i, name, argc = start.group(1), start.group(2), int(start.group(3))
        args = dict(re.findall(rf"utest: posixdiff arg run={i} i=(\d+) value=(.*?)\r?$",
                               text[start.end():], re.MULTILINE))
        check(all(str(a) in args for a in range(argc)), f"run {i}: arguments missing")
        argv = [args[str(a)] for a in range(argc)]
        end = re.search(rf"utest: posixdiff end run={i} .*", text[start.end():])
        check(end is not None, f"utest never saw run {i} ({name}) end")
        e = fields(end.group(0))
        check(e.get("err") == "AION_OK" and e.get("state") == "2",
              f"run {i} ({name}) did not exit: {end.group(0)}")
        between = text[start.end():start.end() + end.start()]
        lines = re.findall(rf"\] \S+ {re.escape(name)}: ?(.*?)\r?$", between, re.MULTILINE)
        runs.append((name, argv, lines, int(e["exit_code"])))
    return runs


def main(iso, exes):
    with bootlib.booted(iso, cmdline_extra="aion.test=posixdiff") as node:
        m = node.wait_for(r"utest: test posixdiff (?P<word>ok|FAIL)\b.*", VERDICT_TIMEOUT_S)
        print(line_at(node.text, m))
        runs = aion_runs(node.text[:m.start()])
        check(m.group("word") == "ok", f"utest's verdict: {line_at(node.text, m)}")
    missing = sorted(set(exes) - {r[0] for r in runs})
    check(not missing, f"no run of {missing}")
    bad = []
    with tempfile.TemporaryDirectory(prefix="aion-posix-diff-") as d:
        root = host_root(Path(d), exes)
        for name, argv, lines, status in runs:
            check(name in exes, f"utest ran {name}, which has no host program")
            hl, hs = host_run(exes[name], argv, root)
            same = hl == lines and hs == status
            print(f"{argv}: {'same' if same else 'DIFFERENT'} "
                  f"({len(lines)} lines, exit {status})")
            if not same:
                bad.append(argv)
                print(f"  host: exit {hs} {hl}\n  aion: exit {status} {lines}")
    check(not bad, f"output or status differs from the host for {bad}")
    print(f"{len(runs)} runs: the same lines and exit status on Aion and on the host")


if __name__ == "__main__":
    progs = [tuple(a.split("=", 1)) for a in sys.argv[1:-1]]
    if not progs or any(len(p) != 2 for p in progs):
        sys.exit("usage: boot_posix_diff.py NAME=HOSTEXE... ISO")
    del sys.argv[1:-1]
    bootlib.main(lambda iso: main(iso, dict(progs)))
