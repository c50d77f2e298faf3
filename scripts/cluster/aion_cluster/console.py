"""A node's serial console: one shell command (exec), or the terminal
attached to it."""
import codecs
import fcntl
import os
import re
import select
import shlex
import socket
import termios
import time

from .errors import NodeError, NodeTimeout
from .node import plain


# Lines of the kernel log: "[    1.234567] node2 shell: <text>".
_LOG_LINE_RE = re.compile(r"^\[\s*[0-9.]+\] (node\d+) (\S+): ?(.*)$")


def next_exec_seq(node):
    """The next sequence number for `exec` on node (RUN/nodeN/exec.seq,
    updated under a lock so concurrent execs get different numbers)."""
    with open(node.exec_seq_file, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        try:
            seq = int(f.read().strip() or 0) + 1
        except ValueError:
            seq = 1
        f.seek(0)
        f.truncate()
        f.write(f"{seq}\n")
        return seq


def _exchange(node, sent, on_line, waiting_for, poll_s=0.005, timeout=30.0):
    """Sends sent (one line, "\n" added) to the node's console socket and
    passes each whole line the console shows from then on to on_line(line),
    until it returns a status (not None), which is returned. Raises
    NodeTimeout after `timeout` s (naming waiting_for) and NodeError if the
    node is not running or QEMU exits.

    The output is read from the console socket itself, not from serial.log:
    QEMU's chardev logfile repeats a byte now and then while a client is
    attached (seen with QEMU 7.2: "donee seq=1"), the socket stream does not.
    """
    if not node.alive():
        raise NodeError(f"{node.name} is not running")
    partial = ""
    stream = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(2.0)
        sock.connect(str(node.console_sock))
        sock.sendall(sent.encode() + b"\n")
        sock.setblocking(False)
    except OSError as e:
        raise NodeError(f"{node.name}: cannot write to {node.console_sock}: {e}") from None
    deadline = time.monotonic() + timeout
    with sock:
        while True:
            got = []
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    got.append(chunk)
            except OSError:  # BlockingIOError: nothing more for now
                pass
            alive = node.alive()
            node.read_new()
            lines = (partial + plain(stream.decode(b"".join(got)))).split("\n")
            partial = lines.pop()
            for line in lines:
                status = on_line(line)
                if status is not None:
                    return status
            if not alive:
                raise NodeError(f"{node.name}: QEMU exited while `{sent}` ran")
            if time.monotonic() >= deadline:
                raise NodeTimeout(
                    f"{node.name}: no line `{waiting_for}` within {timeout:g} s after "
                    f"sending `{sent}` (is the shell running? paused node? another "
                    f"client attached to {node.console_sock}?)"
                    f"\n  last log lines:\n{node.tail(10)}")
            # Wake as soon as the guest writes: QEMU must never find our
            # socket full (it would hold the byte and the UART overruns).
            select.select([sock], [], [], poll_s)


def _one_line(command):
    if "\n" in command or "\r" in command:
        raise NodeError("exec: the command must be one line")


def shell_exec(node, command, timeout=30.0, out=print, all_lines=False, poll_s=0.005):
    """Run one command line on the node's shell through its serial console.

    Sends "@K command\n" to console.sock (K from next_exec_seq()) and reads
    the serial log from that moment: each "[time] nodeN shell: text" line
    is passed to out() as text (other lines too, whole, when all_lines), until
    the line "shell: done seq=K status=S"; returns S. Raises NodeTimeout after
    `timeout` s without that line and NodeError if the node is not running
    or QEMU exits.
    """
    _one_line(command)
    if not node.alive():
        raise NodeError(f"{node.name} is not running")
    seq = next_exec_seq(node)
    sent = f"@{seq} {command}"
    done = re.compile(rf"\bshell: done seq={seq} status=(\d+)")

    def on_line(line):
        m = done.search(line)
        if m:
            return int(m.group(1))
        lm = _LOG_LINE_RE.match(line)
        if lm and lm.group(1) == node.name and lm.group(2) == "shell":
            if lm.group(3) != sent:
                out(lm.group(3))
        elif all_lines and line:
            out(line)
        return None

    return _exchange(node, sent, on_line, f"shell: done seq={seq} status=N", poll_s, timeout)


# A prompt of busybox's shell as the terminal's screen shows it ("$").
_PROMPT_RE = re.compile(r"^\S* ?[$#]$")


def sh_exec(node, command, timeout=30.0, out=print, poll_s=0.005):
    """Run one command line in busybox's shell on the node's console (the
    built-in shell's `sh` started it: docs/posix.md "The terminal").

    Types one line, `eval 'COMMAND'; echo aion-exec-K=$?` (K from
    next_exec_seq()): one line, so its whole echo is on the screen before
    the shell reads it and runs (typed-ahead input would echo into the
    command's output), and eval, so that a syntax error is a status (2)
    too. Then reads the terminal's lines ("[time] nodeN serial: text"):
    each one is passed to out() except the echo of what was typed and the
    prompts, until "aion-exec-K=S"; returns S, the command's exit status.
    Raises NodeTimeout and NodeError as shell_exec.
    """
    _one_line(command)
    if not node.alive():
        raise NodeError(f"{node.name} is not running")
    seq = next_exec_seq(node)
    sent = f"eval {shlex.quote(command)}; echo aion-exec-{seq}=$?"
    done = re.compile(rf"aion-exec-{seq}=(\d+)$")
    # The echo of the typed line comes before any output, but the log may
    # cut it into pieces (the terminal's line is logged when the typing
    # pauses): each piece that continues it is taken off what is left.
    echo_left = [sent]

    def on_line(line):
        lm = _LOG_LINE_RE.match(line.rstrip("\r"))
        if not lm or lm.group(1) != node.name or lm.group(2) != "serial":
            return None
        text = lm.group(3)
        m = done.search(text)
        if m:
            return int(m.group(1))
        for piece in (text, " " + text):       # the log drops one leading space
            if text and echo_left[0].startswith(piece):
                echo_left[0] = echo_left[0][len(piece):]
                return None
        if text != sent and not _PROMPT_RE.match(text):
            out(text)
        return None

    return _exchange(node, sent, on_line,
                     f"aion-exec-{seq}=N (is busybox's shell running? `exec "
                     f"{node.name} sh` starts it)", poll_s, timeout)


ESCAPE = 0x1d  # Ctrl-]


def _console_mode(fd, raw):
    """Terminal settings for attach_console; returns the saved ones."""
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[0] &= ~(termios.IXON | termios.IXOFF | termios.INLCR | termios.IGNCR)
    mode[0] |= termios.ICRNL                    # Enter -> "\n"
    cc = mode[6]
    if raw:
        mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
        cc[termios.VMIN], cc[termios.VTIME] = 1, 0
    else:
        # The terminal edits and echoes the line; Ctrl-] is the interrupt
        # character (SIGINT -> KeyboardInterrupt), Ctrl-C and Ctrl-Z are text.
        mode[3] |= termios.ICANON | termios.ECHO | termios.ISIG
        cc[termios.VINTR] = bytes([ESCAPE])
        cc[termios.VQUIT] = cc[termios.VSUSP] = b"\0"   # disabled
    termios.tcsetattr(fd, termios.TCSAFLUSH, mode)
    return saved


def attach_console(node, raw=False, stdin_fd=0, stdout_fd=1):
    """Connect the terminal to the node's serial console until Ctrl-] (or
    until stdin ends, or QEMU closes the socket). Returns how it ended:
    "escape", "eof" or "closed".

    On a terminal, by default the line is edited and echoed locally (the
    guest shell does not echo) and sent on Enter, with "\n"; raw=True sends
    every byte as typed, without local echo (Ctrl-C etc. go to the guest).
    Piped input is sent as it comes; output is shown for 1 s after it ends.
    QEMU serves one console client at a time.
    """
    if not node.alive():
        raise NodeError(f"{node.name} is not running")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(node.console_sock))
    except OSError as e:
        raise NodeError(f"{node.name}: cannot connect to {node.console_sock}: {e}") from None
    tty = os.isatty(stdin_fd)
    saved = None
    stdin_open = True
    eof_deadline = None
    try:
        if tty:
            saved = _console_mode(stdin_fd, raw)
        with sock:
            while True:
                fds = [sock] + ([stdin_fd] if stdin_open else [])
                wait = None if eof_deadline is None else max(0.0, eof_deadline - time.monotonic())
                ready, _, _ = select.select(fds, [], [], wait)
                if not ready and eof_deadline is not None:
                    return "eof"
                if sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return "closed"
                    os.write(stdout_fd, data)
                if stdin_fd in ready:
                    data = os.read(stdin_fd, 4096)
                    if not data:
                        if tty:             # Ctrl-D on an empty line
                            return "eof"
                        # Piped input has ended: show what follows for a moment.
                        stdin_open, eof_deadline = False, time.monotonic() + 1.0
                        continue
                    if ESCAPE in data:
                        sock.sendall(data[:data.index(ESCAPE)])
                        return "escape"
                    sock.sendall(data)
    except KeyboardInterrupt:                # Ctrl-] in line mode
        return "escape"
    finally:
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSAFLUSH, saved)
