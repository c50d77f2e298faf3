"""How an Aion node VM is launched and observed.

This module is the one definition of a node: the cluster scripts
(scripts/cluster/*), the boot tests (tests/boot/) and the benchmarks (bench/)
all start and watch QEMU through it, so a change to the QEMU command line or
the run folder layout happens here and nowhere else. Python standard library
only.

Run folder layout (see docs/host-scripts.md):
    RUN/switch/             the VDE switch's socket directory (ctl + one per port)
    RUN/switch.pid          the switch's pid while it runs
    RUN/switch.mgmt         the switch's management socket (vde_switch -M)
    RUN/switch.err          the switch's stderr before it daemonised
    RUN/nodeN/pid           QEMU's pid while the node runs
    RUN/nodeN/console.sock  serial console (unix socket, QEMU is the server)
    RUN/nodeN/qmp.sock      QMP control socket
    RUN/nodeN/serial.log    everything the guest wrote to its serial port
    RUN/nodeN/qemu.err      QEMU's own stderr
    RUN/nodeN/qemu.argv     the command line used, one argument per line
    RUN/nodeN/forward_port  the 127.0.0.1 port forwarded to the guest (node1)
    RUN/nodeN/exec.seq      the last sequence number `exec` used
"""

import codecs
import ctypes
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ISO = REPO / "build" / "deploy" / "aion.iso"

READY_RE = r"kernel: ready"

# sun_path holds 108 bytes; stay well below so every socket we create fits.
SOCKET_PATH_MAX = 100
# The longest socket name the run folder will hold (node names grow to nodeNN;
# the switch's sockets, switch.mgmt, switch/ctl and switch/NNN.N, are shorter).
_LONGEST_SOCKET = "node99/console.sock"

MAX_NODES = 99

# The mesh NIC of node N has MAC 52:54:00:00:00:NN (NN = N in hex); node1's
# second NIC, the one carrying the loopback port forward, has FORWARD_MAC.
FORWARD_MAC = "52:54:00:00:01:01"
# The guest TCP port the host's 127.0.0.1:PORT is forwarded to (echo).
FORWARD_GUEST_PORT = 7

# The fw_cfg file meshd reads its cluster key from (space/lib/include/aion/
# fwcfg.h: FWCFG_CLUSTER_KEY); without it the image's default key is used.
CLUSTER_KEY_FWCFG = "opt/aion/cluster-key"
KEY_MAX_DIGITS = 128
# `up` waits this long for every node to see every other one alive.
MESH_TIMEOUT_S = 60
# The console takes input once the serial driver says so.
CONSOLE_READY_RE = r"serial: ready\b"


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


def cmdline_words(extra):
    """extra as a list of kernel command line words: None -> [], a string is
    split on whitespace, a list or tuple is copied."""
    if not extra:
        return []
    if isinstance(extra, str):
        return extra.split()
    return [str(w) for w in extra]


def cmdline_args(words):
    """QEMU arguments that append `words` to the kernel command line.

    The one place the SMBIOS serial is built: words is a list of command line
    words (e.g. ["aion.node=2", "aion.test=x"]; a string is split on
    whitespace). They travel, joined by spaces, as the SMBIOS type 1 system
    serial number; deploy's grub.cfg reads it (smbios --type 1 --get-string 7)
    and appends it to the multiboot2 command line. Commas are doubled: QEMU's
    option syntax.
    """
    words = cmdline_words(words)
    if not words:
        return []
    return ["-smbios", "type=1,serial=" + " ".join(words).replace(",", ",,")]


def fwcfg_args(files):
    """QEMU arguments that give the guest fw_cfg files: one
    `-fw_cfg name=NAME,string=TEXT` per item of the dict files (None or {}:
    none). Commas in TEXT are doubled (QEMU's option syntax); names should
    start with "opt/" (QEMU warns otherwise)."""
    args = []
    for name, text in (files or {}).items():
        args += ["-fw_cfg", f"name={name},string={str(text).replace(',', ',,')}"]
    return args


def check_key(key):
    """key (a cluster key: 1..KEY_MAX_DIGITS hex digits) or ValueError."""
    if not re.fullmatch(rf"[0-9a-fA-F]{{1,{KEY_MAX_DIGITS}}}", key or ""):
        raise ValueError(f"a cluster key is 1 to {KEY_MAX_DIGITS} hex digits, not {key!r}")
    return key


def node_fwcfg(number, key=None, node_keys=None):
    """The fw_cfg files of node `number`: its cluster key, node_keys[number]
    if given, else key, as {CLUSTER_KEY_FWCFG: HEX}; {} when neither is set
    (the node uses the image's default key)."""
    chosen = (node_keys or {}).get(number, key)
    return {CLUSTER_KEY_FWCFG: check_key(chosen)} if chosen is not None else {}


def mesh_addr(number):
    """Node `number`'s mesh address (netd: 10.77.0.N/24)."""
    return f"10.77.0.{number}"


def mesh_mac(number):
    """MAC of node `number`'s mesh NIC: 52:54:00:00:00:NN, NN in hex."""
    if not 1 <= number <= 0xff:
        raise ValueError(f"node number {number} does not fit in one MAC byte")
    return f"52:54:00:00:00:{number:02x}"


def net_args(switch_sock=None, mac=None, forward_port=None):
    """QEMU arguments of a node's NICs (none when both are None).

    switch_sock: the VDE switch's socket directory; the node gets a
    virtio-net NIC with `mac` on it (netdev id "mesh"). forward_port: a second
    virtio-net NIC on QEMU's user-mode network (netdev id "fwd") with
    restrict=on, so the guest reaches nothing outside; its only use is the
    forward of the host's 127.0.0.1:forward_port to the guest's port
    FORWARD_GUEST_PORT. disable-modern=on: legacy virtio (I/O port BAR),
    what the guest driver speaks.
    """
    args = []
    if switch_sock is not None:
        args += ["-netdev", f"vde,id=mesh,sock={switch_sock}",
                 "-device", f"virtio-net-pci,netdev=mesh,mac={mac},disable-modern=on"]
    if forward_port is not None:
        args += ["-netdev", f"user,id=fwd,restrict=on,"
                            f"hostfwd=tcp:127.0.0.1:{forward_port}-:{FORWARD_GUEST_PORT}",
                 "-device", f"virtio-net-pci,netdev=fwd,mac={FORWARD_MAC},disable-modern=on"]
    return args


def free_loopback_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel
    picks it for a socket bound to port 0). QEMU binds it a moment later; if
    something else takes it in between, QEMU fails to start and says so."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_argv(iso, node_dir, mem_mib=128, kvm=False, cmdline_extra=None,
              switch_sock=None, mac=None, forward_port=None, fw_cfg=None):
    """The QEMU command line of one node whose files live in node_dir.

    -nodefaults: no default NIC, VGA, floppy or parallel port; the node has
    exactly the devices listed here, so what the guest sees is deliberate.
    NICs only as asked for (net_args()); fw_cfg files as fwcfg_args(fw_cfg).
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
    ] + net_args(switch_sock, mac, forward_port) + cmdline_args(cmdline_extra) \
      + fwcfg_args(fw_cfg)


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


def node_number(name):
    """2 for "node2"; None for a name that is not nodeN."""
    m = re.fullmatch(r"node(\d+)", name)
    return int(m.group(1)) if m else None


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


class Node(Tracked):
    """One QEMU VM whose files live in run_dir/name.

    switch: a Switch (or the path of a VDE switch's socket directory) to plug
    the node's mesh NIC into, MAC mesh_mac(number); None: no mesh NIC.
    forward: give the node the loopback port forward NIC (net_args()); the
    port is chosen at start() and written to forward_port.
    fw_cfg: {name: text} files for the guest's fw_cfg (fwcfg_args()).
    """

    def __init__(self, name, run, iso=ISO, mem_mib=128, kvm=False,
                 cmdline_extra=None, switch=None, forward=False, fw_cfg=None):
        self.name = name
        self.number = node_number(name)
        self.dir = Path(run) / name
        self.iso = Path(iso)
        self.mem_mib = mem_mib
        self.kvm = kvm
        self.cmdline_extra = cmdline_extra
        self.switch_sock = getattr(switch, "sock", switch)
        self.forward = forward
        self.fw_cfg = dict(fw_cfg or {})
        self._forward_port = None
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
    forward_port_file = property(lambda self: self.dir / "forward_port")
    exec_seq_file = property(lambda self: self.dir / "exec.seq")

    @property
    def mac(self):
        return mesh_mac(self.number) if self.switch_sock is not None else None

    @property
    def forward_port(self):
        """The 127.0.0.1 port forwarded to this node, or None."""
        if self._forward_port is not None:
            return self._forward_port
        try:
            return int(self.forward_port_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def argv(self):
        return qemu_argv(self.iso, self.dir, self.mem_mib, self.kvm,
                         self.cmdline_extra, self.switch_sock, self.mac,
                         self._forward_port, self.fw_cfg)

    def signature(self):
        """This node's QEMU (its console socket is in its command line)."""
        return ("qemu", str(self.console_sock))

    def start(self, die_with_parent=False):
        """Start QEMU in its own session and write its pid file.

        die_with_parent: tests and benchmarks set it so a VM never outlives
        them, even when they are SIGKILLed; `up` leaves it off on purpose.
        """
        if not self.iso.is_file():
            raise NodeError(f"{self.name}: no boot image at {self.iso} (build first)")
        self.dir.mkdir(parents=True, exist_ok=True)
        for f in (self.serial_log, self.console_sock, self.qmp_sock, self.pid_file,
                  self.forward_port_file):
            f.unlink(missing_ok=True)
        if self.forward:
            self._forward_port = free_loopback_port()
            self.forward_port_file.write_text(f"{self._forward_port}\n")
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
            self._terminate(pid, grace_s)
        self._forget()
        return stopped

    def kill(self):
        """Pull the plug: SIGKILL QEMU by its pid (after checking the pid is
        this node's QEMU), wait until it is gone, remove the pid file and
        sockets. The serial log stays. Returns the pid killed, or None."""
        pid = self.pid
        killed = None
        if pid is not None and self.alive():
            killed = pid
            self._signal(pid, signal.SIGKILL)
            self._wait_gone(pid, 5.0)
        self._forget()
        return killed

    def _forget(self):
        """Reap our child if we have one; remove the files of a running VM."""
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for f in (self.pid_file, self.console_sock, self.qmp_sock,
                  self.forward_port_file):
            f.unlink(missing_ok=True)
        self._forward_port = None

    def qmp(self, execute, arguments=None, timeout=5.0):
        """Run one QMP command on this node; returns its "return" value."""
        if not self.alive():
            raise NodeError(f"{self.name} is not running")
        return qmp_command(self.qmp_sock, execute, arguments, timeout)

    def pause(self):
        """Stop the VM's CPUs (QMP "stop"); the process stays alive."""
        self.qmp("stop")

    def resume(self):
        """Let a paused VM run again (QMP "cont")."""
        self.qmp("cont")

    def vm_status(self, timeout=2.0):
        """QEMU's run state ("running", "paused", ...), or None when the node
        is not running or QMP does not answer."""
        try:
            return self.qmp("query-status", timeout=timeout).get("status")
        except (NodeError, AttributeError):
            return None

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


def qmp_command(sock_path, execute, arguments=None, timeout=5.0):
    """Connect to a QMP socket, leave capabilities negotiation
    (qmp_capabilities), run one command and return its "return" value.
    Asynchronous events are skipped. Raises NodeError on an error reply or
    when QEMU does not answer within timeout (QMP serves one client at a time:
    another client keeps us waiting)."""
    def reply(f):
        while True:
            line = f.readline()
            if not line:
                raise NodeError(f"QMP {sock_path}: connection closed")
            msg = json.loads(line)
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                err = msg["error"]
                raise NodeError(f"QMP {execute}: {err.get('class')}: {err.get('desc')}")
            # {"event": ...} lines: not ours.

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(sock_path))
            with s.makefile("rwb") as f:
                greeting = json.loads(f.readline() or b"{}")
                if "QMP" not in greeting:
                    raise NodeError(f"QMP {sock_path}: no greeting")
                for cmd in ({"execute": "qmp_capabilities"},
                            {"execute": execute, **({"arguments": arguments} if arguments else {})}):
                    f.write(json.dumps(cmd).encode() + b"\n")
                    f.flush()
                    result = reply(f)
                return result
    except socket.timeout:
        raise NodeError(f"QMP {sock_path}: no answer within {timeout:g} s "
                        f"(is another QMP client connected?)") from None
    except (OSError, ValueError) as e:
        raise NodeError(f"QMP {sock_path}: {e}") from None


class Switch(Tracked):
    """The cluster's VDE switch (Debian vde2's vde_switch); its files are
    RUN/switch/ (sockets: ctl and one per connected port), RUN/switch.pid,
    RUN/switch.mgmt and RUN/switch.err."""

    def __init__(self, run):
        run = Path(run)
        self.run = run
        self.sock = run / "switch"
        self.pid_file = run / "switch.pid"
        self.mgmt_sock = run / "switch.mgmt"
        self.err_file = run / "switch.err"
        self.proc = None

    def argv(self, daemon):
        argv = ["vde_switch", "-s", str(self.sock), "-M", str(self.mgmt_sock)]
        if daemon:
            argv += ["-d", "-p", str(self.pid_file)]
        return argv

    def signature(self):
        """The vde_switch of this run folder."""
        return ("vde_switch", str(self.sock))

    def start(self, die_with_parent=False, timeout=5.0):
        """Start the switch and wait until its control socket exists.

        By default it daemonises (`up`: it outlives the script) and writes its
        own pid file. die_with_parent (tests): it stays our child, in the
        foreground with its console on a pipe we hold; it exits when the pipe
        closes (vde_switch quits on EOF) and gets PR_SET_PDEATHSIG=SIGKILL.
        """
        if self.alive():
            raise NodeError(f"switch: already running (pid {self.pid}) at {self.sock}")
        self.run.mkdir(parents=True, exist_ok=True)
        self._forget()  # leftovers of a switch that is not running
        with open(self.err_file, "wb") as err:
            if die_with_parent:
                self.proc = subprocess.Popen(
                    self.argv(daemon=False), stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                    preexec_fn=_die_with_parent)
                self.pid_file.write_text(f"{self.proc.pid}\n")
            else:
                rc = subprocess.run(self.argv(daemon=True), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err).returncode
                if rc != 0:
                    raise NodeError(f"switch: vde_switch exited with status {rc}: "
                                    f"{self._err_text()}")
        deadline = time.monotonic() + timeout
        while not ((self.sock / "ctl").exists() and self.alive()):
            if time.monotonic() >= deadline or (self.proc and self.proc.poll() is not None):
                self.stop()
                raise NodeError(f"switch: no control socket {self.sock}/ctl within "
                                f"{timeout:g} s: {self._err_text()}")
            time.sleep(0.01)
        return self

    def _err_text(self):
        try:
            return self.err_file.read_text(errors="replace").strip() or "(no stderr)"
        except OSError:
            return "(no stderr)"

    def stop(self, grace_s=5.0):
        """Stop the switch by pid (SIGTERM, then SIGKILL after grace_s) and
        remove its files. Returns the pid stopped, or None. Idempotent."""
        pid = self.pid
        stopped = None
        if pid is not None and self.alive():
            stopped = pid
            if self.proc is not None and self.proc.stdin:
                self.proc.stdin.close()  # a foreground switch quits on EOF
            self._terminate(pid, grace_s)
        self._forget()
        return stopped

    def _forget(self):
        if self.proc is not None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        self.pid_file.unlink(missing_ok=True)
        self.mgmt_sock.unlink(missing_ok=True)
        if self.sock.is_dir():
            shutil.rmtree(self.sock, ignore_errors=True)

    def command(self, line, timeout=5.0):
        """Run one management command (e.g. "port/print") on switch.mgmt and
        return its output lines; raises NodeError unless it ends "1000 Success"."""
        # The reply: "vde$ " [0000 DATA END WITH '.' lines "."] "NNNN text";
        # the status line starts a line or follows the prompt. 0000 opens data.
        status_re = re.compile(rb"(?:^|vde\$ )([1-9]\d{3}) ([^\n]*)\n", re.M)
        data = b""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            try:
                s.connect(str(self.mgmt_sock))
                s.sendall(line.encode() + b"\n")
                while not status_re.search(data):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError as e:
                raise NodeError(f"switch {self.mgmt_sock}: {e}") from None
        m = status_re.search(data)
        if not m or m.group(1) != b"1000":
            what = (m.group(1) + b" " + m.group(2)).decode() if m else "no reply"
            raise NodeError(f"switch: {line}: {what}")
        text = data[:m.start(1)].decode(errors="replace").split("vde$ ", 1)[-1]
        return [ln for ln in text.splitlines()
                if ln and ln != "." and not ln.startswith("0000 DATA END")]


def cluster_nodes(run, count, switch, forward=True, mem_mib=128, kvm=False,
                  iso=ISO, extra_words=(), key=None, node_keys=None):
    """The Node objects of a cluster of `count` nodes node1..nodeN on
    `switch`: node N boots with aion.node=N plus extra_words on its command
    line; node1 alone gets the loopback port forward when forward is set.
    key / node_keys ({N: HEX}): cluster keys through fw_cfg (node_fwcfg())."""
    if not 1 <= count <= MAX_NODES:
        raise NodeError(f"a cluster has 1 to {MAX_NODES} nodes, not {count}")
    return [Node(f"node{i}", run, iso=iso, mem_mib=mem_mib, kvm=kvm,
                 cmdline_extra=[f"aion.node={i}", *cmdline_words(extra_words)],
                 switch=switch, forward=forward and i == 1,
                 fw_cfg=node_fwcfg(i, key, node_keys))
            for i in range(1, count + 1)]


def wait_all(nodes, regex, timeout, echoes=None, poll_s=0.005):
    """Wait until the log of every node has a line matching regex, all nodes
    watched together, `timeout` seconds in total. echoes: {name: echo(text)}.
    Returns {name: re.Match}; raises NodeTimeout/NodeError like wait_for."""
    pattern = re.compile(regex, re.MULTILINE)
    echoes = echoes or {}
    matches = {}
    deadline = time.monotonic() + timeout
    while len(matches) < len(nodes):
        for n in nodes:
            if n.name not in matches:
                m = n.poll(pattern, echoes.get(n.name))
                if m:
                    matches[n.name] = m
        if len(matches) < len(nodes):
            if time.monotonic() >= deadline:
                n = next(n for n in nodes if n.name not in matches)
                raise NodeTimeout(f"{n.name}: no line matched /{regex}/ within "
                                  f"{timeout:g} s\n  last log lines:\n{n.tail()}")
            time.sleep(poll_s)
    return matches


def running_parts(run):
    """What runs in the run folder: ([alive nodes], switch or None)."""
    switch = Switch(run)
    return ([n for n in nodes_in(run) if n.alive()],
            switch if switch.alive() else None)


def stop_cluster(run):
    """Stop every node, then the switch, by their recorded pids.
    Returns ([(node, pid)], switch pid or None, [nodes with a stale pid
    file], switch pid file was stale)."""
    nodes = nodes_in(run)
    switch = Switch(run)
    stale = [n for n in nodes if n.pid_file.exists() and not n.alive()]
    stale_switch = switch.pid_file.exists() and not switch.alive()
    stopped = stop_nodes(nodes)
    return stopped, switch.stop(), stale, stale_switch


def node_state(node):
    """"alive", "alive (paused)" (QEMU's run state when not running) or "dead"."""
    if not node.alive():
        return "dead"
    vm = node.vm_status()
    return "alive" if vm in (None, "running") else f"alive ({vm})"


def cluster_table(nodes, state=node_state):
    """The node table of up and status, as lines: node, address (the mesh
    address, mesh_addr()), state (state(node)), pid, forwarded port, console
    socket."""
    rows = [("node", "address", "state", "pid", "forward", "console")]
    for n in nodes:
        alive = n.alive()
        port = n.forward_port if alive else None
        rows.append((n.name, mesh_addr(n.number), state(n), str(n.pid) if alive else "-",
                     f"127.0.0.1:{port}->{FORWARD_GUEST_PORT}" if port else "-",
                     str(n.console_sock) if alive else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def switch_line(switch):
    if switch.alive():
        return (f"switch: alive, pid {switch.pid}, socket {switch.sock}, "
                f"management {switch.mgmt_sock}")
    return "switch: dead" + (f" (stale pid file: {switch.pid})" if switch.pid else "")


def find_node(run, arg):
    """The Node named by arg ("node2" or "2") in the run folder; NodeError
    if it has no directory there."""
    name = f"node{arg}" if re.fullmatch(r"\d+", arg) else arg
    if node_number(name) is None:
        raise NodeError(f"{arg!r} is not a node (expected nodeN or N)")
    node = Node(name, run)
    if not node.dir.is_dir():
        names = ", ".join(n.name for n in nodes_in(run)) or "none"
        raise NodeError(f"no {name} in {run} (nodes: {names})")
    return node


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


def shell_exec(node, command, timeout=30.0, out=print, all_lines=False, poll_s=0.005):
    """Run one command line on the node's shell through its serial console.

    Sends "@K command\n" to console.sock (K from next_exec_seq()) and reads
    the serial log from that moment: each "[time] nodeN shell: text" line
    is passed to out() as text (other lines too, whole, when all_lines), until
    the line "shell: done seq=K status=S"; returns S. Raises NodeTimeout after
    `timeout` s without that line and NodeError if the node is not running
    or QEMU exits.
    """
    if "\n" in command or "\r" in command:
        raise NodeError("exec: the command must be one line")
    if not node.alive():
        raise NodeError(f"{node.name} is not running")
    seq = next_exec_seq(node)
    sent = f"@{seq} {command}"
    done = re.compile(rf"\bshell: done seq={seq} status=(\d+)")
    # The command's output is read from the console socket itself, not from
    # serial.log: QEMU's chardev logfile repeats a byte now and then while a
    # client is attached (seen with QEMU 7.2: "donee seq=1"), the socket
    # stream does not.
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
                m = done.search(line)
                if m:
                    return int(m.group(1))
                lm = _LOG_LINE_RE.match(line)
                if lm and lm.group(1) == node.name and lm.group(2) == "shell":
                    if lm.group(3) != sent:
                        out(lm.group(3))
                elif all_lines and line:
                    out(line)
            if not alive:
                raise NodeError(f"{node.name}: QEMU exited while `{sent}` ran")
            if time.monotonic() >= deadline:
                raise NodeTimeout(
                    f"{node.name}: no line `shell: done seq={seq} status=N` within "
                    f"{timeout:g} s after sending `{sent}` (is the shell running? "
                    f"paused node? another client attached to {node.console_sock}?)"
                    f"\n  last log lines:\n{node.tail(10)}")
            # Wake as soon as the guest writes: QEMU must never find our
            # socket full (it would hold the byte and the UART overruns).
            select.select([sock], [], [], poll_s)


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


# The guest's `nodes` command (meshd): a header, then one line per member:
#   nodes self=1 count=3
#   node=1 addr=10.77.0.1 state=alive inc=0 heard_ms=0 self
#   node=2 addr=10.77.0.2 state=suspect inc=3 heard_ms=412
# Members are read by their key=value fields, so an extra or garbled field
# does not hide a member; node= and a known state= are required.
_NODES_HEADER_RE = re.compile(r"^nodes self=(\d+) count=(\d+)\b")
_NODES_MEMBER_RE = re.compile(r"^node=(\d+)\s")
_NODES_STATES = ("alive", "suspect", "dead")


def parse_nodes(lines):
    """The output lines of the shell command `nodes` (shell_exec() passes them
    without their log prefix) as (self number, {number: member}), member a dict
    {"addr", "state", "inc", "heard_ms", "self"} (addr, inc, heard_ms None
    when the line lacks them). The last header counts (the late output of an
    earlier command may come first); other lines are ignored. ValueError for
    an `error:` answer, no header, or fewer member lines than the header's
    count."""
    header, members = None, {}
    for line in lines:
        line = line.strip()
        if line.startswith("error:"):
            raise ValueError(line)
        m = _NODES_HEADER_RE.match(line)
        if m:
            header, members = (int(m.group(1)), int(m.group(2))), {}
            continue
        f = dict(re.findall(r"(\w+)=(\S+)", line))
        if header and _NODES_MEMBER_RE.match(line) and f.get("state") in _NODES_STATES:
            members[int(f["node"])] = {
                "addr": f.get("addr"), "state": f["state"],
                "inc": int(f["inc"]) if f.get("inc", "").isdigit() else None,
                "heard_ms": int(f["heard_ms"]) if f.get("heard_ms", "").isdigit() else None,
                "self": line.split()[-1] == "self"}
    if header is None:
        raise ValueError("no `nodes self=N count=M` line in: " + " | ".join(lines))
    if len(members) < header[1]:
        raise ValueError(f"count={header[1]} but {len(members)} member lines")
    return header[0], members


def mesh_missing(view, numbers):
    """What keeps a `nodes` view (parse_nodes()) from seeing every node of
    `numbers` alive, as ["node3 suspect", "node4 missing"]; [] when none."""
    _self, members = view
    return [f"node{n} {members[n]['state'] if n in members else 'missing'}"
            for n in numbers if members.get(n, {}).get("state") != "alive"]


def mesh_view(node, timeout=10.0):
    """Run `nodes` on node's shell; its parse_nodes() view. ValueError when
    the command failed or answered something else, NodeTimeout when it did
    not answer within timeout, NodeError when the node is not running."""
    lines = []
    status = shell_exec(node, "nodes", timeout=timeout, out=lines.append)
    if status != 0:
        raise ValueError(" | ".join(lines) or f"status {status}")
    return parse_nodes(lines)


def wait_mesh(nodes, timeout=MESH_TIMEOUT_S, poll_s=0.5, exec_timeout=10.0):
    """Wait until every node sees every other one (and itself) alive in its
    `nodes` view, `timeout` seconds in all (from the console being ready:
    CONSOLE_READY_RE). Each round runs `nodes` on every node; the first round
    where all agree ends the wait. Returns {name: view} of that round.
    Raises NodeTimeout naming each node that did not converge, with what it
    saw (or its error), and NodeError if a node's QEMU exits."""
    deadline = time.monotonic() + timeout
    wait_all(nodes, CONSOLE_READY_RE, timeout)
    numbers = [n.number for n in nodes]
    while True:
        views, pending = {}, {}
        for n in nodes:
            left = max(1.0, min(exec_timeout, deadline - time.monotonic()))
            try:
                views[n.name] = mesh_view(n, left)
                missing = mesh_missing(views[n.name], numbers)
                if missing:
                    pending[n.name] = "sees " + ", ".join(missing)
            except NodeTimeout:
                pending[n.name] = f"no answer to `nodes` within {left:g} s"
            except ValueError as e:
                pending[n.name] = f"answered `nodes` with `{e}`"
        if not pending:
            return views
        if time.monotonic() >= deadline:
            raise NodeTimeout(
                f"the mesh did not converge within {timeout:g} s: "
                + "; ".join(f"{name} {why}" for name, why in pending.items()))
        time.sleep(poll_s)
