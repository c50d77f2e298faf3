#!/usr/bin/env python3
"""posix-tty: the console's terminal for POSIX programs (docs/posix.md "The
terminal"). aion.test=posixtty makes utest open the terminal and run
tests/posix/tty.c under procd with it as fds 0-2, twice. The program's
output is the terminal's screen, which is the node's log (lines of the
unit `serial`); when it says `ready X`, this script types on COM1 (the
console socket) and checks what the program read and what was echoed:
`tty check`: isatty, termios defaults, window size, a canonical line with
an erase ("abc DEL d CR" reads "abd\\n", echoed as the line "abd"), ^D on an
empty line (a read of 0), raw mode one byte at a time without echo, VMIN
0, O_NONBLOCK; `tty sigint`: ^C ends the foreground group's looping child
with SIGINT while the parent survives and reports it.
Usage: boot_tty.py ISO"""
import re

import bootlib
from bootlib import check, line_at

STEP_TIMEOUT_S = 60


# Types on COM1, the console socket.
Keyboard = bootlib.ConsoleSocket


def screen(node, pos, end=None):
    """The terminal's lines (unit serial's log lines) between pos and end."""
    text = node.text[pos:end]
    return [l.rstrip("\r") for l in re.findall(r"node\d+ serial: (.*)", text)]


def expect(node, regex, pos):
    """Waits for a terminal line matching regex after pos; the match."""
    return node.wait_for(rf"serial: {regex}\r?$", STEP_TIMEOUT_S, pos=pos)


def run_check(node, kb):
    ready = expect(node, "ready canon", 0)
    lines = screen(node, 0, ready.start())
    for want in ("isatty 1 1 1", "file isatty=0 enotty=1",
                 "termios icanon=1 echo=1 isig=1 icrnl=1 onlcr=1 verase=127 vintr=3",
                 "winsize rows=24 cols=80"):
        check(want in lines, f"missing `{want}` before `ready canon`: {lines}")
    kb.type(b"abc\x7fd\r")
    got = expect(node, r"canon n=.*", ready.end())
    check(line_at(node.text, got).endswith("canon n=4 text=abd"),
          f"canonical read: {line_at(node.text, got)}")
    # The echo: "abc", erased c ("\b \b"), "d", CR as NL: the line "abd".
    check("abd" in screen(node, ready.end(), got.start()),
          f"the echo of the edited line: {screen(node, ready.end(), got.start())}")

    ready = expect(node, "ready eof", got.end())
    kb.type(b"\x04after\r")
    got = expect(node, r"eof n=.*", ready.end())
    check(line_at(node.text, got).endswith("eof n=0 then=6"), f"eof: {line_at(node.text, got)}")

    ready = expect(node, "ready raw", got.end())
    kb.type(b"xyz")
    got = expect(node, r"raw .*", ready.end())
    check(line_at(node.text, got).endswith("raw 1 1 1 bytes=120,121,122"),
          f"raw: {line_at(node.text, got)}")
    check(not any("xyz" in l for l in screen(node, ready.end(), got.start())),
          "raw mode without ECHO echoed")
    for want in (r"vmin0 n=0 fionread=0", r"nonblock n=-1 eagain=1", r"done fails=0"):
        expect(node, want, got.end())
    return got.end()


def run_sigint(node, kb, pos):
    ready = expect(node, "ready sigint", pos)
    fg = screen(node, pos, ready.start())
    check(any(re.match(r"foreground pgrp=\d+ is_child=1$", l) for l in fg),
          f"the child's group is not the foreground: {fg}")
    kb.type(b"\x03")
    sent = node.wait_for(r"serial: tty: signal=2 pgrp=\d+ result=0\r?$", STEP_TIMEOUT_S,
                         pos=ready.end())
    # The echo "^C" stays on the screen's line, which the parent's next
    # output ends.
    got = expect(node, r"(\^C)?child ended .*", sent.end())
    check(line_at(node.text, got).endswith("child ended waited=1 signaled=1 sig=2"),
          f"^C: {line_at(node.text, got)}")
    expect(node, r"done fails=0", got.end())


def test(iso):
    with bootlib.booted(iso, cmdline_extra="aion.test=posixtty") as node:
        node.wait_for(r"serial: ready port=", 30)
        kb = Keyboard(node)
        try:
            pos = run_check(node, kb)
            run_sigint(node, kb, pos)
            v = node.wait_for(r"utest: test posixtty (ok|FAIL)\b.*", STEP_TIMEOUT_S)
            print(line_at(node.text, v))
            check(v.group(1) == "ok", f"utest: {line_at(node.text, v)}")
            check("kernel: fault " not in node.text, "the kernel faulted")
        finally:
            kb.close()


if __name__ == "__main__":
    bootlib.main(test)
