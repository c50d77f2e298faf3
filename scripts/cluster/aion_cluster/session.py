"""A node's console held open for many shell commands (docs/nemesis.md
"Clients"): shell_exec() connects, sends one command and disconnects each
time; a Session connects once and sends command after command, which is
what a client issuing hundreds of kv operations needs.

One command at a time (the guest shell runs one line at a time anyway):
run() sends "@K command" and waits for "shell: done seq=K". A reader
thread drains the socket all the time, because QEMU holds the guest's UART
while our socket is full (console.py), and hands the shell's lines to
run(). QEMU serves one console client at a time: while a Session is
connected, `exec` from elsewhere waits.

When the node's QEMU exits (killed, stopped) the socket closes and a
running command fails with NodeError; the next run() connects again once
a new QEMU's serial driver is ready (its `serial: ready` line)."""
import codecs
import re
import socket
import threading
import time

from .console import next_exec_seq
from .errors import NodeError, NodeTimeout
from .mesh import CONSOLE_READY_RE
from .node import plain

_LOG_LINE_RE = re.compile(r"^\[\s*[0-9.]+\] (node\d+) (\S+): ?(.*)$")
_DONE_RE = re.compile(r"^done seq=(\d+) status=(\d+)")
_READY = re.compile(CONSOLE_READY_RE.encode())


class _Connection:
    """One connection to console.sock and its reader thread: the shell
    lines it has seen, and the done lines by seq with the host time
    (time.monotonic()) they were read."""

    def __init__(self, node):
        self.node, self.lines, self.done = node, [], {}
        self.cond, self.closed = threading.Condition(), False
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(2.0)
            self.sock.connect(str(node.console_sock))
            self.sock.settimeout(None)
        except OSError as e:
            self.sock.close()
            raise NodeError(f"{node.name}: cannot connect to {node.console_sock}: {e}") from None
        threading.Thread(target=self._read, daemon=True, name=f"console-{node.name}").start()

    def _read(self):
        stream, partial = codecs.getincrementaldecoder("utf-8")(errors="replace"), ""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                lines = (partial + plain(stream.decode(chunk))).split("\n")
                partial = lines.pop()
                self._take(lines, time.monotonic())
        except OSError:
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _take(self, lines, now):
        with self.cond:
            for line in lines:
                m = _LOG_LINE_RE.match(line)
                if not m or m.group(1) != self.node.name or m.group(2) != "shell":
                    continue
                d = _DONE_RE.match(m.group(3))
                if d:
                    self.done[int(d.group(1))] = (int(d.group(2)), len(self.lines), now)
                else:
                    self.lines.append(m.group(3))
            self.cond.notify_all()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Session:
    """node's console, open across commands (module comment)."""

    def __init__(self, node):
        self.node = node
        self.lock = threading.Lock()    # one command at a time
        self.conn = None
        self.pending = None             # seq of a command that timed out

    def ready(self):
        """Whether the node runs and its console takes input (this boot's
        serial.log has the serial driver's ready line)."""
        if not self.node.alive():
            return False
        try:
            return bool(_READY.search(self.node.serial_log.read_bytes()))
        except OSError:
            return False

    def _connected(self):
        """The connection, made anew after the old one closed (the shell's
        commands ended with it: nothing is pending on a new one). A QEMU
        that exited counts as closed even before the reader saw the end,
        so no command is sent into a dead socket."""
        if self.conn is not None and not self.conn.closed and self.node.alive():
            return self.conn
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if not self.ready():
            raise NodeError(f"{self.node.name} is not running or its console is not ready")
        self.conn, self.pending = _Connection(self.node), None
        return self.conn

    def run(self, command, timeout=30.0):
        """Runs one shell command line; returns (status, output lines, the
        host time just before it was sent, the host time its done line was
        read). NodeTimeout when no done line came within timeout (the command may
        still run: the next run() first waits for it), NodeError when the
        node is down or its QEMU exits meanwhile. Either has the attribute
        sent_at (the host time it was sent) once the command went out."""
        if "\n" in command or "\r" in command:
            raise NodeError("a command must be one line")
        deadline = time.monotonic() + timeout
        if not self.lock.acquire(timeout=timeout):
            raise NodeTimeout(f"{self.node.name}: console busy with another command")
        try:
            return self._run(command, deadline)
        finally:
            self.lock.release()

    def _run(self, command, deadline):
        conn = self._connected()
        if self.pending is not None:
            self._wait(conn, self.pending, deadline)
        seq = next_exec_seq(self.node)
        with conn.cond:
            start = len(conn.lines)
        t_sent = time.monotonic()
        try:
            self._send(conn, f"@{seq} {command}\n")
            self.pending = seq
            status, end, t_done = self._wait(conn, seq, deadline)
        except NodeError as e:
            e.sent_at = t_sent      # the command (or some of it) went out: it may run
            raise
        with conn.cond:
            return status, conn.lines[start:end], t_sent, t_done

    def _send(self, conn, text):
        try:
            conn.sock.sendall(text.encode())
        except OSError as e:
            raise NodeError(f"{self.node.name}: console write failed: {e}") from None

    def _wait(self, conn, seq, deadline):
        with conn.cond:
            while seq not in conn.done:
                left = deadline - time.monotonic()
                if conn.closed:
                    raise NodeError(f"{self.node.name}: console closed (QEMU exited?) "
                                    f"while seq {seq} ran")
                if left <= 0:
                    raise NodeTimeout(f"{self.node.name}: no `done seq={seq}` in time")
                conn.cond.wait(min(left, 0.5))
            self.pending = None
            return conn.done.pop(seq)

    def close(self):
        """Disconnects; a command still waiting fails with NodeError. Not
        under the lock: a command may wait for up to its timeout."""
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
