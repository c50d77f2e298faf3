#!/usr/bin/env python3
"""posix-sh: busybox's shell on the console's terminal (docs/posix.md "The
terminal"). aion.test=posixsh makes utest run procd with `run
/bin/busybox sh -i` (busybox ash, interactive) as its session leader on
the terminal. The shell's
screen is the node's log (lines of the unit `serial`); this script waits
for its prompt, types command lines on COM1 (the console socket) and
wants each one's output as whole lines: echo, a variable and arithmetic,
a for loop, the exit status of builtins and functions, printf and test, a
redirection into a ramfs file read back, cd and pwd, a NOFORK applet
(basename); external applets forked and exec'd, in pipelines of two and
three, `$(...)`, `sh -c` with its status, `&` and `wait`; a program
that faults ends alone (139); `ps` (/bin/ps, procd's PROC_LIST) lists a
background `sleep 5` with the shell as its parent, itself likewise, and
the shell with procd (pid 1) as its parent; ^C of `sleep 30 | cat` ends
both commands and the shell goes on (130); ^Z of it stops both (the
shell says Stopped, 148), `fg` continues it, ^C ends it; `exit 7` ends
the shell, whose exit code utest reports.

posix-sh-console (mode `console`): a node booted as every node is; the
built-in shell's `sh` command starts busybox's shell on the console, the
same commands run, two more through scripts/cluster/exec --sh's
function (output without echoes and prompts, the status of `$?`), `exit
7` ends it (procd's `done ... code=7`), and the
console is the built-in shell's again (`uptime`).
Usage: boot_sh.py [console] ISO"""
import sys
import re

import bootlib
from bootlib import ac, check, line_at
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
    # External commands: each applet forked and exec'd as /bin/busybox
    # (aion.config's BUSYBOX_EXEC_PATH), pipes between them.
    ("echo abc | wc -c", ["4"]),
    ("echo one > /tmp/p.txt; cat /tmp/p.txt | tr a-z A-Z", ["ONE"]),
    ("seq 1 5 | sort -r | head -2", ["5", "4"]),
    ("echo a b c | awk '{print $2}'", ["b"]),
    ("x=$(echo hi there); echo got=$x", ["got=hi there"]),
    ("sh -c 'exit 4'; echo st=$?", ["st=4"]),
    ("sleep 1 & wait $!; echo waited=$?", ["waited=0"]),
]


def run_commands(node, kb, pos):
    """Types COMMANDS into the shell whose prompt comes after pos."""
    # The prompt: shown when the shell's first read waits.
    node.wait_for(r"serial: .*[$#]\r?$", STEP_TIMEOUT_S, pos=pos)
    for typed, want in COMMANDS:
        kb.type(typed.encode() + b"\r")
        for line in want:
            m = node.wait_for(rf"serial: {re.escape(line)}\r?$", STEP_TIMEOUT_S, pos=pos)
            pos = m.end()
        print(f"sh: {typed} -> {want}")
    return pos


def test_console(iso):
    with bootlib.booted(iso, cmdline_extra="aion.node=1") as node:
        node.wait_for(r"shell: ready", 30)
        node.wait_for(r"serial: ready port=", 30)
        kb = Keyboard(node)
        try:
            kb.type(b"@1 sh\n")
            done = node.wait_for(r"shell: done seq=1 status=(\d+)", STEP_TIMEOUT_S)
            check(done.group(1) == "0", f"sh: {line_at(node.text, done)}")
            pos = node.wait_for(r"procd: started pid=2 program=run", STEP_TIMEOUT_S).end()
            pos = run_commands(node, kb, pos)
            # scripts/cluster/exec --sh: output without echo and prompts, $?.
            kb.close()
            got = []
            status = ac.sh_exec(node, "echo one; echo two; false", out=got.append)
            check(status == 1 and got == ["one", "two"], f"exec --sh: {got} status={status}")
            got = []
            status = ac.sh_exec(node, "for i in 1 2; do echo x$i; done", out=got.append)
            check(status == 0 and got == ["x1", "x2"], f"exec --sh: {got} status={status}")
            print("exec --sh: ok")
            kb = Keyboard(node)
            kb.type(b"exit 7\r")
            end = node.wait_for(r"procd: done first=2 .*code=(\d+)", STEP_TIMEOUT_S, pos=pos)
            check(end.group(1) == "7", f"the shell's end: {line_at(node.text, end)}")
            kb.type(b"@2 uptime\n")
            back = node.wait_for(r"shell: done seq=2 status=(\d+)", STEP_TIMEOUT_S, pos=end.end())
            check(back.group(1) == "0", "the built-in shell did not get the console back")
            check("kernel: fault " not in node.text, "the kernel faulted")
        finally:
            kb.close()


PS_ROW = re.compile(r"serial: +(\d+) +(\d+) +(\d+) +(\d+) +([SZ]) +(.*?)\r?$", re.MULTILINE)


def ps_lists(node, kb, pos):
    """`ps` with a job in the background: rows of PID PPID PGID SID STAT
    COMMAND; the sleep's parent is the shell ($$, its pid $!), ps's own
    too, and the shell's is procd (pid 1), which started it. The second
    lets the forked child exec `sleep` (until then it is a copy of the
    shell, and ps says so)."""
    kb.type(b"sleep 5 & echo ids sh=$$ bg=$!; sleep 1; ps; wait; echo ps-done\r")
    ids = node.wait_for(r"serial: ids sh=(\d+) bg=(\d+)\r?$", STEP_TIMEOUT_S, pos=pos)
    node.wait_for(r"serial: +PID +PPID +PGID +SID +STAT +COMMAND\r?$", STEP_TIMEOUT_S,
                  pos=ids.end())
    done = node.wait_for(r"serial: ps-done\r?$", STEP_TIMEOUT_S, pos=ids.end())
    rows = {int(m.group(1)): (int(m.group(2)), m.group(6))
            for m in PS_ROW.finditer(node.text, ids.end(), done.start())}
    for pid, (ppid, cmd) in sorted(rows.items()):
        print(f"ps: pid={pid} ppid={ppid} cmd={cmd!r}")
    sh, bg = int(ids.group(1)), int(ids.group(2))
    check(bg in rows and rows[bg][0] == sh and rows[bg][1].startswith("sleep 5"),
          f"ps: no `sleep 5` with parent {sh} as pid {bg}: {rows}")
    check(sh in rows and rows[sh][0] == 1, f"ps: no shell {sh} with parent 1: {rows}")
    check(any(ppid == sh and cmd.split()[0] == "ps" for ppid, cmd in rows.values()),
          f"ps: no `ps` with parent {sh}: {rows}")
    return done.end()


def interrupt_pipeline(node, kb, pos):
    """^C of the two-command pipeline running in the foreground: SIGINT
    to its group ends both (status 0x2), and the shell's $? is 130."""
    kb.type(b"\x03")
    # The terminal's line and procd's ends may come in either order.
    node.wait_for(r"serial: tty: signal=2 pgrp=\d+ result=0", STEP_TIMEOUT_S, pos=pos)
    end = pos
    for _ in range(2):
        end = node.wait_for(r"procd: (?:procd: )?end pid=\d+ status=0x2\r?$", STEP_TIMEOUT_S,
                            pos=end).end()
    kb.type(b"echo back=$?\r")
    return node.wait_for(r"serial: back=130\r?$", STEP_TIMEOUT_S, pos=pos).end()


def crash_and_interrupt(node, kb, pos):
    """A program that faults ends alone (the shell reports SIGSEGV, 139);
    one that faults holding a pipe's write end releases it: `cat` reading
    the pipe sees end of file, the pipeline ends (docs/fs.md "Records of
    ended processes"); ^C of a running pipeline ends both its commands (SIGINT to the
    terminal's foreground group), and the shell goes on with $? 130."""
    kb.type(b"/bin/crash; echo st=$?\r")
    for want in (r"procd: (?:procd: )?pid=\d+ fault vector=14 addr=0x0 signal=11",
                 r"serial: Segmentation fault\r?$", r"serial: st=139\r?$"):
        pos = node.wait_for(want, STEP_TIMEOUT_S, pos=pos).end()
    kb.type(b"/bin/crash | cat; echo rc=$?\r")
    for want in (r"serial: crash: writing through NULL\r?$", r"serial: rc=0\r?$"):
        pos = node.wait_for(want, STEP_TIMEOUT_S, pos=pos).end()
    kb.type(b"sleep 30 | cat\r")
    for _ in range(2):          # both commands run: each an exec of busybox
        pos = node.wait_for(r"procd: (?:procd: )?exec pid=\d+", STEP_TIMEOUT_S, pos=pos).end()
    pos = interrupt_pipeline(node, kb, pos)
    print("sh: a crash ended only itself (139), `crash | cat` ended (rc=0); "
          "^C ended the pipeline (130)")
    return pos


def job_control(node, kb, pos):
    """^Z of a running pipeline stops both its commands (SIGTSTP to the
    foreground group; each process's layer stops and tells procd, whose
    WAIT4 with WUNTRACED tells the shell): the shell says Stopped, $? is
    148, `jobs` lists it; `fg` continues it (SIGCONT) in the foreground,
    and ^C then ends it (130)."""
    kb.type(b"sleep 30 | cat\r")
    for _ in range(2):
        pos = node.wait_for(r"procd: (?:procd: )?exec pid=\d+", STEP_TIMEOUT_S, pos=pos).end()
    kb.type(b"\x1a")
    node.wait_for(r"serial: tty: signal=20 pgrp=\d+ result=0", STEP_TIMEOUT_S, pos=pos)
    for _ in range(2):
        pos = node.wait_for(r"procd: (?:procd: )?pid=\d+ stopped sig=20", STEP_TIMEOUT_S,
                            pos=pos).end()
    # The terminal echoed ^Z (ECHOCTL) on the line the shell's goes on.
    pos = node.wait_for(r"serial: (?:\^Z)?\[1\]\+ +Stopped +sleep 30 \| cat\r?$",
                        STEP_TIMEOUT_S, pos=pos).end()
    kb.type(b"echo stopped=$?; jobs\r")
    pos = node.wait_for(r"serial: stopped=148\r?$", STEP_TIMEOUT_S, pos=pos).end()
    pos = node.wait_for(r"serial: \[1\]\+ +Stopped +sleep 30 \| cat\r?$", STEP_TIMEOUT_S,
                        pos=pos).end()
    kb.type(b"fg\r")
    for _ in range(2):
        pos = node.wait_for(r"procd: (?:procd: )?pid=\d+ continued sig=18", STEP_TIMEOUT_S,
                            pos=pos).end()
    pos = interrupt_pipeline(node, kb, pos)
    print("sh: ^Z stopped the pipeline (148, jobs lists it), fg continued it, ^C ended it (130)")
    return pos


def test(iso):
    with bootlib.booted(iso, cmdline_extra="aion.test=posixsh") as node:
        node.wait_for(r"serial: ready port=", 30)
        kb = Keyboard(node)
        try:
            pos = node.wait_for(r"procd: started pid=2 program=run", STEP_TIMEOUT_S).end()
            pos = run_commands(node, kb, pos)
            pos = ps_lists(node, kb, pos)
            pos = crash_and_interrupt(node, kb, pos)
            job_control(node, kb, pos)
            kb.type(b"exit 7\r")
            v = node.wait_for(r"utest: test posixsh (ok|FAIL)\b.*", STEP_TIMEOUT_S)
            print(line_at(node.text, v))
            check(v.group(1) == "ok" and "exit_code=7" in line_at(node.text, v),
                  f"utest: {line_at(node.text, v)}")
            check("kernel: fault " not in node.text, "the kernel faulted")
        finally:
            kb.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "console":
        del sys.argv[1]
        bootlib.main(test_console)
    else:
        bootlib.main(test)
