#!/usr/bin/env python3
"""posix-sh: busybox's shell on the console's terminal (docs/posix.md "The
terminal"). aion.test=posixsh makes utest run procd with `sh -i` (busybox
ash, interactive) as its session leader on the terminal. The shell's
screen is the node's log (lines of the unit `serial`); this script waits
for its prompt, types command lines on COM1 (the console socket) and
wants each one's output as whole lines: echo, a variable and arithmetic,
a for loop, the exit status of builtins and functions, printf and test, a
redirection into a ramfs file read back, cd and pwd, a NOFORK applet
(basename); `exit 7` ends the shell, whose
exit code utest reports.
Usage: boot_sh.py ISO"""
import bootlib
from bootlib import check, line_at
from boot_tty import Keyboard

STEP_TIMEOUT_S = 60

# (typed, the output lines wanted in order)
COMMANDS = [
    ("echo hello world", ["hello world"]),
    ("x=41; echo v=$((x + 1))", ["v=42"]),
    ("for i in 1 2 3; do echo n$i; done", ["n1", "n2", "n3"]),
    ("false; echo s=$?; true; echo s=$?", ["s=1", "s=0"]),
    ("f() { return 5; }; f; echo r=$?", ["r=5"]),
    ("printf '%s-%d\\n' ab 7; test 3 -gt 2 && echo yes", ["ab-7", "yes"]),
    # A redirection into a ramfs file (its size seen by test -s), builtins
    # only (no fork); the stdout after it is the terminal again. (`read`
    # waits in poll(), which is not there yet.)
    ("echo stored > /tmp/sh.txt; test -s /tmp/sh.txt && echo size-ok; "
     "test -s /tmp/none || echo none-ok", ["size-ok", "none-ok"]),
    ("cd /etc; pwd; basename /a/b/leaf", ["/etc", "leaf"]),
]


def test(iso):
    with bootlib.booted(iso, cmdline_extra="aion.test=posixsh") as node:
        node.wait_for(r"serial: ready port=", 30)
        kb = Keyboard(node)
        try:
            # The prompt: shown when the shell's first read waits.
            pos = node.wait_for(r"procd: started pid=2 program=sh", STEP_TIMEOUT_S).end()
            node.wait_for(r"serial: .*[$#]\r?$", STEP_TIMEOUT_S, pos=pos)
            for typed, want in COMMANDS:
                kb.type(typed.encode() + b"\r")
                for line in want:
                    m = node.wait_for(rf"serial: {line}\r?$", STEP_TIMEOUT_S, pos=pos)
                    pos = m.end()
                print(f"sh: {typed} -> {want}")
            kb.type(b"exit 7\r")
            v = node.wait_for(r"utest: test posixsh (ok|FAIL)\b.*", STEP_TIMEOUT_S)
            print(line_at(node.text, v))
            check(v.group(1) == "ok" and "exit_code=7" in line_at(node.text, v),
                  f"utest: {line_at(node.text, v)}")
            check("kernel: fault " not in node.text, "the kernel faulted")
        finally:
            kb.close()


if __name__ == "__main__":
    bootlib.main(test)
