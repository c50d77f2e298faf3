"""Processes this tool starts: pid checks, the Tracked base (pid file,
recycled-pid guard, terminate), signals."""
import ctypes
import os
import signal
import time
from pathlib import Path


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pid_cmdline(pid):
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def kill_with_parent():
    # Runs in the child between fork and exec: ask the kernel to SIGKILL
    # QEMU when the process that started it dies, even by SIGKILL.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Tracked:
    """A process this tool started, known by its Popen while we hold it and
    by its pid file otherwise. signature() lists strings its /proc cmdline
    must contain: a recycled pid is never signalled."""

    proc = None

    def signature(self):
        raise NotImplementedError

    @property
    def pid(self):
        if self.proc is not None:
            return self.proc.pid
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _err_text(self):
        """What the process wrote to its stderr file (self.err_file)."""
        try:
            return self.err_file.read_text(errors="replace").strip() or "(no stderr)"
        except OSError:
            return "(no stderr)"

    def is_ours(self, pid):
        cmd = pid_cmdline(pid)
        return all(part in cmd for part in self.signature())

    def alive(self):
        pid = self.pid
        if pid is None:
            return False
        if self.proc is not None:
            return self.proc.poll() is None
        return pid_alive(pid) and self.is_ours(pid)

    @staticmethod
    def _signal(pid, sig):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _wait_gone(self, pid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.proc.poll() is not None) if self.proc is not None else not pid_alive(pid):
                return True
            time.sleep(0.01)
        return False

    def _terminate(self, pid, grace_s):
        """SIGTERM, up to grace_s, then SIGKILL; waits until it is gone."""
        self._signal(pid, signal.SIGTERM)
        if not self._wait_gone(pid, grace_s):
            self._signal(pid, signal.SIGKILL)
            self._wait_gone(pid, 5.0)


def exit_on_signals():
    """Turn SIGTERM/SIGINT into SystemExit so `with Node(...)` blocks and
    finally clauses stop their VMs (meson sends SIGTERM on a test timeout)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
