#!/usr/bin/env python3
"""boot-shutdown-button, boot-shutdown-shell: an orderly shutdown, as
`virsh shutdown` asks for one (docs/services.md "Shutdown").

button: QMP `system_powerdown` (the ACPI power button) twice in a row; the
power driver sees the SCI and asks init. shell: the shell's `shutdown`,
whose `done` line may never come because the machine goes down first.

Either way init logs who asked, stops every running service, last started
first, with one line each, restarts nothing meanwhile, acts on one request
only, says `shutdown complete, powering off`, and QEMU then exits by itself
with status 0.
Usage: boot_shutdown.py button|shell ISO"""
import re
import sys
import time

import bootlib
from bootlib import ac, check

EXIT_LIMIT_S = 30
BY = {"button": "power-button", "shell": "shell"}


def running_services(text):
    """Services running now, in the order of their (last) start."""
    running = []
    for m in re.finditer(r"init: service (start|ended) name=(\S+)", text):
        if m.group(2) in running:
            running.remove(m.group(2))
        if m.group(1) == "start":
            running.append(m.group(2))
    return running


def press_button(node):
    node.qmp("system_powerdown")
    # A second press while the first is handled must not start a second
    # shutdown. QEMU may be gone by now: that is fine too.
    try:
        node.qmp("system_powerdown")
    except ac.NodeError as e:
        print(f"second press not delivered: {e}")


def run_shutdown(node):
    lines = []
    try:
        status = ac.shell_exec(node, "shutdown", timeout=EXIT_LIMIT_S, out=lines.append)
        check(status == 0 and "shutdown: under way" in lines,
              f"shutdown: status={status} output={lines}")
    except ac.NodeError as e:   # QEMU exited before `done`: expected
        print(f"no done line: {str(e).splitlines()[0]}")


def test_via(how, iso):
    with bootlib.booted(iso, cmdline_extra="aion.node=1") as node:
        node.wait_for(r"shell: ready", 30)
        node.wait_for(r"serial: ready", 30)
        node.wait_for(r"power: ready", 30)
        node.wait_for(r"init: service start name=meshd\b", 30)
        services = running_services(node.complete())
        check({"netd", "shell", "serial", "power", "meshd"} <= set(services),
              f"services running before the shutdown: {services}")
        start = len(node.complete())
        t0 = time.monotonic()
        (press_button if how == "button" else run_shutdown)(node)
        try:
            code = node.proc.wait(timeout=EXIT_LIMIT_S)
        except Exception:
            raise bootlib.TestFailure(
                f"QEMU still runs {EXIT_LIMIT_S} s after the request\n{node.tail()}") from None
        took = time.monotonic() - t0
        print(f"QEMU exited with status {code} {took:.2f} s after the request")
        check(code == 0, f"QEMU exit status {code}, not 0")
        text = node.text[start:]
        print("\n".join(l for l in ac.plain(text).splitlines() if " init: " in l or " power: " in l))
        check_lines(text, BY[how], list(reversed(services)))
        if how == "button":
            pressed = text.find("power: button pressed")
            check(0 <= pressed < text.find("init: shutdown requested"),
                  "no `power: button pressed` before init's request line")
            # The driver is stopped last and runs above init's priority: a
            # second press it saw is answered, not dropped.
            if text.count("power: button pressed") > 1:
                check(re.search(r"init: shutdown already under way by=power-button "
                                r"asked=power-button\r?\n.*power: shutdown already under way",
                                text, re.S),
                      "a second press was not answered `already under way`")


def check_lines(text, by, stops):
    """The shutdown lines in order, each once; nothing started after them."""
    check(len(re.findall(r"init: shutdown requested\b", text)) == 1,
          "not exactly one `init: shutdown requested` line")
    check(len(re.findall(r"init: shutdown complete\b", text)) == 1,
          "not exactly one `init: shutdown complete` line")
    req = re.search(rf"init: shutdown requested by={by}\r?$", text, re.M)
    check(req, f"no line `init: shutdown requested by={by}`")
    pos = req.end()
    for name in stops:
        m = re.compile(rf"init: service stop name={name}\r?$", re.M).search(text, pos)
        check(m, f"no `init: service stop name={name}` in order {stops} after the request")
        pos = m.end()
    done = re.compile(r"init: shutdown complete, powering off\r?$", re.M).search(text, pos)
    check(done, "no `init: shutdown complete, powering off` after the last stop")
    after = text[req.end():]
    for bad in (r"init: service (start|start-failed|restart-in)\b", r"init: job start\b",
                r"poweroff failed", r"kernel: (fault|unit fault)\b"):
        check(not re.search(bad, after), f"/{bad}/ after the request:\n{after}")
    check(not re.search(r"already under way", text[:req.start()]),
          "an `already under way` answer before the request")


if __name__ == "__main__":
    how = sys.argv.pop(1) if len(sys.argv) > 1 else ""
    if how not in BY:
        sys.exit("usage: boot_shutdown.py button|shell ISO")
    bootlib.main(lambda iso: test_via(how, iso))
