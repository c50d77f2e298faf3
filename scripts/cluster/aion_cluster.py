"""How an Aion node VM is launched and observed.

This module is the one definition of a node: the cluster scripts
(scripts/cluster/*), the boot tests (tests/boot/) and the benchmarks (bench/)
all start and watch QEMU through it, so a change to the QEMU command line or
the run folder layout happens here and nowhere else. Python standard library
only.

Run folder layout (see docs/host-scripts.md):
    RUN/nodeN/pid           QEMU's pid while the node runs
    RUN/nodeN/console.sock  serial console (unix socket, QEMU is the server)
    RUN/nodeN/qmp.sock      QMP control socket
    RUN/nodeN/serial.log    everything the guest wrote to its serial port
    RUN/nodeN/qemu.err      QEMU's own stderr
    RUN/nodeN/qemu.argv     the command line used, one argument per line
"""

import codecs
import ctypes
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ISO = REPO / "build" / "deploy" / "aion.iso"

READY_RE = r"kernel: ready"

# sun_path holds 108 bytes; stay well below so every socket we create fits.
SOCKET_PATH_MAX = 100
# The longest socket name a node directory will hold (node names grow to nodeNN).
_LONGEST_SOCKET = "node99/console.sock"


_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text):
    """text without terminal control sequences (GRUB clears the screen) and
    carriage returns, fit for a log or a terminal."""
    return _ANSI_RE.sub("", text).replace("\r", "")


def repo_root():
    return REPO


def short_enough(run):
    return len(str(Path(run) / _LONGEST_SOCKET)) < SOCKET_PATH_MAX


def run_dir():
    """The run folder: $AION_RUN_DIR, else <repo>/run.

    Unix socket paths must fit in sun_path: when the chosen folder is too
    deep, fall back to a short folder under /tmp named after a hash of the
    chosen path, so each checkout (or override) still gets its own folder.
    """
    run = Path(os.environ.get("AION_RUN_DIR") or REPO / "run").absolute()
    if short_enough(run):
        return run
    digest = hashlib.sha256(str(run).encode()).hexdigest()[:12]
    return Path("/tmp") / f"aion-run-{digest}"


def kvm_usable():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def choose_accel(kvm):
    """'kvm' when asked for and usable, else 'tcg' (with a note on stderr)."""
    if kvm and not kvm_usable():
        print("aion: /dev/kvm is not usable here, falling back to TCG",
              file=sys.stderr)
    return "kvm" if kvm and kvm_usable() else "tcg"


def cmdline_args(cmdline_extra):
    """QEMU arguments that append `cmdline_extra` to the kernel command line.

    The value travels as the SMBIOS type 1 system serial number; deploy's
    grub.cfg reads it (smbios --type 1 --get-string 7) and appends it to the
    multiboot2 command line. Commas are doubled: QEMU's option syntax.
    """
    if not cmdline_extra:
        return []
    return ["-smbios", "type=1,serial=" + cmdline_extra.replace(",", ",,")]


def qemu_argv(iso, node_dir, mem_mib=128, kvm=False, cmdline_extra=None):
    """The QEMU command line of one node whose files live in node_dir.

    -nodefaults: no default NIC, VGA, floppy or parallel port; the node has
    exactly the devices listed here, so what the guest sees is deliberate.
    """
    node_dir = Path(node_dir)
    return [
        "qemu-system-x86_64",
        "-nodefaults",
        "-display", "none",
        "-no-reboot",
        "-m", str(mem_mib),
        "-smp", "1",
        "-accel", choose_accel(kvm),
        "-cdrom", str(iso),
        "-boot", "d",
        "-chardev", f"socket,id=ser0,path={node_dir}/console.sock,"
                    f"server=on,wait=off,logfile={node_dir}/serial.log",
        "-serial", "chardev:ser0",
        "-qmp", f"unix:{node_dir}/qmp.sock,server=on,wait=off",
    ] + cmdline_args(cmdline_extra)


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


def _die_with_parent():
    # Runs in the child between fork and exec: ask the kernel to SIGKILL
    # QEMU when the process that started it dies, even by SIGKILL.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class NodeError(RuntimeError):
    """The node cannot do what was asked (QEMU exited, failed to start, ...)."""


class NodeTimeout(NodeError, TimeoutError):
    """An expected console line did not appear in time."""


class Node:
    """One QEMU VM whose files live in run_dir/name."""

    def __init__(self, name, run, iso=ISO, mem_mib=128, kvm=False,
                 cmdline_extra=None):
        self.name = name
        self.dir = Path(run) / name
        self.iso = Path(iso)
        self.mem_mib = mem_mib
        self.kvm = kvm
        self.cmdline_extra = cmdline_extra
        self.proc = None
        self._log_pos = 0
        self._text = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    # Files of the node.
    pid_file = property(lambda self: self.dir / "pid")
    console_sock = property(lambda self: self.dir / "console.sock")
    qmp_sock = property(lambda self: self.dir / "qmp.sock")
    serial_log = property(lambda self: self.dir / "serial.log")
    qemu_err = property(lambda self: self.dir / "qemu.err")

    def argv(self):
        return qemu_argv(self.iso, self.dir, self.mem_mib, self.kvm,
                         self.cmdline_extra)

    @property
    def pid(self):
        if self.proc is not None:
            return self.proc.pid
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def is_our_qemu(self, pid):
        """pid is a QEMU of this node (guards against recycled pids)."""
        cmd = pid_cmdline(pid)
        return "qemu" in cmd and str(self.console_sock) in cmd

    def alive(self):
        pid = self.pid
        if pid is None:
            return False
        if self.proc is not None:
            return self.proc.poll() is None
        return pid_alive(pid) and self.is_our_qemu(pid)

    def start(self, die_with_parent=False):
        """Start QEMU in its own session and write its pid file.

        die_with_parent: tests and benchmarks set it so a VM never outlives
        them, even when they are SIGKILLed; `up` leaves it off on purpose.
        """
        if not self.iso.is_file():
            raise NodeError(f"{self.name}: no boot image at {self.iso} (build first)")
        self.dir.mkdir(parents=True, exist_ok=True)
        for f in (self.serial_log, self.console_sock, self.qmp_sock, self.pid_file):
            f.unlink(missing_ok=True)
        argv = self.argv()
        (self.dir / "qemu.argv").write_text("\n".join(argv) + "\n")
        with open(self.qemu_err, "wb") as err:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err, start_new_session=True,
                preexec_fn=_die_with_parent if die_with_parent else None)
        self.pid_file.write_text(f"{self.proc.pid}\n")
        self._log_pos, self._text = 0, ""
        self._decoder.reset()
        return self

    def read_new(self):
        """Text appended to serial.log since the last call (also kept in .text)."""
        try:
            with open(self.serial_log, "rb") as f:
                f.seek(self._log_pos)
                data = f.read()
        except FileNotFoundError:
            return ""
        self._log_pos += len(data)
        new = self._decoder.decode(data)
        self._text += new
        return new

    @property
    def text(self):
        """Everything the guest has printed so far."""
        self.read_new()
        return self._text

    def log_lines(self):
        """The log as plain lines (see plain())."""
        return plain(self.text).splitlines()

    def tail(self, n=30):
        lines = self.log_lines()[-n:]
        return "\n".join(f"    {line}" for line in lines) or "    (serial log is empty)"

    def poll(self, pattern, echo=None, pos=0):
        """One non-blocking look at the log: the re.Match of pattern (compiled
        with re.MULTILINE) at or after offset pos, or None. Raises NodeError
        if QEMU has exited."""
        # Liveness first, then read: all output of a QEMU that has exited is
        # searched before it is declared dead.
        alive = self.alive()
        new = self.read_new()
        if new and echo:
            echo(new)
        m = pattern.search(self._text, pos)
        if m:
            return m
        if not alive:
            raise NodeError(
                f"{self.name}: QEMU exited ({self._exit_status()}) before a line "
                f"matched /{pattern.pattern}/\n  qemu stderr: {self._err_text()}\n"
                f"  last log lines:\n{self.tail()}")
        return None

    def wait_for(self, regex, timeout, echo=None, pos=0, poll_s=0.005):
        """Wait until a serial log line matches regex; return the re.Match.

        The match is against the whole log so far, from offset pos on
        (re.MULTILINE, `.` stays on one line): match.start() orders events,
        and pos=earlier.end() waits for a line after an earlier one.
        echo(text) is called with each new chunk of output. Raises NodeTimeout
        after `timeout` seconds and NodeError if QEMU exits first; both carry
        the last 30 log lines.
        """
        pattern = re.compile(regex, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            m = self.poll(pattern, echo, pos)
            if m:
                return m
            if time.monotonic() >= deadline:
                raise NodeTimeout(
                    f"{self.name}: no line matched /{regex}/ within {timeout:g} s\n"
                    f"  last log lines:\n{self.tail()}")
            time.sleep(poll_s)

    def _exit_status(self):
        if self.proc is not None and self.proc.returncode is not None:
            return f"exit status {self.proc.returncode}"
        return "not running"

    def _err_text(self):
        try:
            return self.qemu_err.read_text(errors="replace").strip() or "(empty)"
        except OSError:
            return "(none)"

    def stop(self, grace_s=5.0):
        """Stop QEMU by pid: SIGTERM, up to grace_s, then SIGKILL; reap.

        Returns the pid that was stopped, or None if nothing was running.
        Safe to call any number of times.
        """
        pid = self.pid
        stopped = None
        if pid is not None and self.alive():
            stopped = pid
            self._signal(pid, signal.SIGTERM)
            if not self._wait_gone(pid, grace_s):
                self._signal(pid, signal.SIGKILL)
                self._wait_gone(pid, 5.0)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.pid_file.unlink(missing_ok=True)
        for f in (self.console_sock, self.qmp_sock):
            f.unlink(missing_ok=True)
        return stopped

    @staticmethod
    def _signal(pid, sig):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _wait_gone(self, pid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None:
                if self.proc.poll() is not None:
                    return True
            elif not pid_alive(pid):
                return True
            time.sleep(0.01)
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def nodes_in(run):
    """The nodes that have a directory in the run folder, by name order."""
    run = Path(run)
    if not run.is_dir():
        return []
    dirs = [d for d in run.iterdir() if d.is_dir() and re.fullmatch(r"node\d+", d.name)]
    return [Node(d.name, run) for d in sorted(dirs, key=lambda d: int(d.name[4:]))]


def stop_nodes(nodes):
    """Stop several nodes at once: SIGTERM to all first, then wait for each.
    Returns [(node, pid)] for the nodes that were running."""
    running = [(node, node.pid) for node in nodes if node.alive()]
    for _node, pid in running:
        Node._signal(pid, signal.SIGTERM)
    for node in nodes:
        node.stop()
    return running


def exit_on_signals():
    """Turn SIGTERM/SIGINT into SystemExit so `with Node(...)` blocks and
    finally clauses stop their VMs (meson sends SIGTERM on a test timeout)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def build(quiet_stdout=False):
    """Install host packages if missing and build what is stale.

    quiet_stdout sends the build's output to stderr (for callers whose stdout
    carries results, such as benchmarks). Raises NodeError on failure.
    """
    out = sys.stderr if quiet_stdout else None
    for cmd in ([str(REPO / "scripts" / "setup-host")],
                [str(REPO / "scripts" / "lib" / "build")]):
        if subprocess.run(cmd, cwd=REPO, stdout=out).returncode != 0:
            raise NodeError(f"{' '.join(cmd)} failed")
    if not ISO.is_file():
        raise NodeError(f"the build did not produce {ISO}")
