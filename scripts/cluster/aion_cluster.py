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
                            (these four: the central switch; node N's wire
                            holds its port N)
    RUN/nodeN/pid           QEMU's pid while the node runs
    RUN/nodeN/console.sock  serial console (unix socket, QEMU is the server)
    RUN/nodeN/qmp.sock      QMP control socket
    RUN/nodeN/serial.log    everything the guest wrote to its serial port
    RUN/nodeN/qemu.err      QEMU's own stderr
    RUN/nodeN/qemu.argv     the command line used, one argument per line
    RUN/nodeN/forward_port  the 127.0.0.1 port forwarded to the guest (node1)
    RUN/nodeN/exec.seq      the last sequence number `exec` used
    RUN/nodeN/switch/       node N's own VDE switch (its NIC plugs in here),
    RUN/nodeN/switch.{pid,mgmt,err}   with its pid, management socket, stderr
    RUN/nodeN/wire.pid      the wirefilter joining node N's switch to port N
    RUN/nodeN/wire.mgmt     of the central switch: its pid, management socket
    RUN/nodeN/wire.err      (loss is set there) and stderr
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
# a node switch's port sockets are PORT.FD, e.g. node99/switch/001.7; the
# central switch's and the wires' sockets are shorter).
_LONGEST_SOCKET = "node99/switch/001.999"

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

    def complete(self):
        """The log up to its last newline: what the guest has finished
        printing. A line still being written must not match: `fnv=0x81d7`
        would match /fnv=(0x[0-9a-f]+)/ before the rest arrives."""
        text = self.text
        return text[:text.rfind("\n") + 1]

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
        # Only whole lines while the guest may still be writing the last one.
        end = len(self._text) if not alive else self._text.rfind("\n") + 1
        m = pattern.search(self._text, pos, end) if pos <= end else None
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

        The match is against the whole lines of the log so far, from offset
        pos on (re.MULTILINE, `.` stays on one line): match.start() orders events,
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


def mgmt_command(sock_path, line, timeout=5.0):
    """Run one command on the management socket of a vde_switch (-M) or a
    wirefilter (-M) and return its output lines; NodeError unless it ends
    "1000 Success". The reply: a banner, the prompt ("vde$ ", "VDEwf$ "),
    [0000 DATA END WITH '.' lines "."], then "NNNN text"; the status line
    starts a line or follows the prompt. 0000 opens data."""
    status_re = re.compile(rb"(?:^|\$ )([1-9]\d{3}) ([^\n]*)\n", re.M)
    data = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(sock_path))
            s.sendall(line.encode() + b"\n")
            while not status_re.search(data):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError as e:
            raise NodeError(f"{sock_path}: {line}: {e}") from None
    m = status_re.search(data)
    if not m or m.group(1) != b"1000":
        what = (m.group(1) + b" " + m.group(2)).decode() if m else "no reply"
        raise NodeError(f"{sock_path}: {line}: {what}")
    text = re.split(r"(?:vde|VDEwf)\$ ", data[:m.start(1)].decode(errors="replace"), 1)[-1]
    return [ln for ln in text.splitlines()
            if ln and ln != "." and not ln.startswith("0000 DATA END")]


class Daemon(Tracked):
    """A VDE program (vde_switch, wirefilter) of the run folder: its files are
    PREFIX.pid, PREFIX.mgmt (management socket) and PREFIX.err.

    start(): by default it daemonises and writes its own pid file (`up`: it
    outlives the script). die_with_parent (tests): it stays our child, in
    the foreground with its console on a pipe we hold; it exits when the
    pipe closes (both programs quit on EOF) and gets PR_SET_PDEATHSIG=SIGKILL.
    """

    label = "?"

    def __init__(self, prefix):
        prefix = Path(prefix)
        self.pid_file = prefix.with_name(prefix.name + ".pid")
        self.mgmt_sock = prefix.with_name(prefix.name + ".mgmt")
        self.err_file = prefix.with_name(prefix.name + ".err")
        self.proc = None

    def argv(self, daemon):
        raise NotImplementedError

    def ready(self):
        """Started far enough to be used (its sockets exist)."""
        return self.mgmt_sock.exists()

    def start(self, die_with_parent=False, timeout=5.0):
        """Start the program and wait until ready(); NodeError if it exits
        or is not ready within timeout (it is stopped then)."""
        if self.alive():
            raise NodeError(f"{self.label}: already running (pid {self.pid})")
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self._forget()  # leftovers of one that is not running
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
                    raise NodeError(f"{self.label}: {self.argv(True)[0]} exited with "
                                    f"status {rc}: {self._err_text()}")
        deadline = time.monotonic() + timeout
        while not (self.ready() and self.alive()):
            if time.monotonic() >= deadline or (self.proc and self.proc.poll() is not None):
                self.stop()
                raise NodeError(f"{self.label}: not ready within {timeout:g} s "
                                f"({' '.join(self.argv(not die_with_parent))}): "
                                f"{self._err_text()}")
            time.sleep(0.01)
        return self

    def _err_text(self):
        try:
            return self.err_file.read_text(errors="replace").strip() or "(no stderr)"
        except OSError:
            return "(no stderr)"

    def stop(self, grace_s=5.0):
        """Stop it by pid (SIGTERM, then SIGKILL after grace_s) and remove
        its files. Returns the pid stopped, or None. Idempotent."""
        pid = self.pid
        stopped = None
        if pid is not None and self.alive():
            stopped = pid
            if self.proc is not None and self.proc.stdin:
                self.proc.stdin.close()  # a foreground one quits on EOF
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

    def command(self, line, timeout=5.0):
        """Run one management command (e.g. "port/print", "showinfo") and
        return its output lines (mgmt_command())."""
        return mgmt_command(self.mgmt_sock, line, timeout)


# The central switch has a port for every node number (node N's wire
# plugs into port N); vde_switch's default is 32 ports.
CENTRAL_PORTS = 128


class Switch(Daemon):
    """A VDE switch (Debian vde2's vde_switch) named `name` in folder `run`:
    socket directory RUN/NAME/ (ctl and one socket per connected port),
    RUN/NAME.pid, RUN/NAME.mgmt, RUN/NAME.err. Switch(run) is the cluster's
    central switch; Switch(run / "nodeN") node N's own switch. numports:
    vde_switch -n (None: its default, 32)."""

    def __init__(self, run, name="switch", numports=None):
        run = Path(run)
        super().__init__(run / name)
        self.run = run
        self.sock = run / name
        self.numports = numports
        self.label = (f"{run.name} switch" if node_number(run.name)
                      else "the switch" if name == "switch" else name)

    def argv(self, daemon):
        argv = ["vde_switch", "-s", str(self.sock), "-M", str(self.mgmt_sock)]
        if self.numports:
            argv += ["-n", str(self.numports)]
        if daemon:
            argv += ["-d", "-p", str(self.pid_file)]
        return argv

    def signature(self):
        """The vde_switch of this socket directory."""
        return ("vde_switch", f"-s {self.sock} ")

    def ready(self):
        return (self.sock / "ctl").exists()

    def _forget(self):
        super()._forget()
        if self.sock.is_dir():
            shutil.rmtree(self.sock, ignore_errors=True)

    def ports(self):
        """{port number: untagged VLAN} of the ports in use (port/print)."""
        return {int(p): int(v) for p, v in re.findall(
            r"^Port (\d+) untagged_vlan=(\d+) ACTIVE", "\n".join(self.command("port/print")),
            re.M)}


class Wire(Daemon):
    """The wirefilter (Debian's vde-wirefilter) that joins node N's own
    switch to port N of the central switch: every frame of the node crosses
    it, so its loss setting (management command `loss P`, both directions)
    is the node's link loss. Files RUN/nodeN/wire.{pid,mgmt,err}."""

    def __init__(self, run, number):
        run = Path(run)
        super().__init__(run / f"node{number}" / "wire")
        self.number = number
        self.central = Switch(run)
        self.node_switch = Switch(run / f"node{number}")
        self.label = f"node{number} wire"

    def argv(self, daemon):
        argv = ["wirefilter", "-v", f"{self.central.sock}[{self.number}]:{self.node_switch.sock}",
                "-M", str(self.mgmt_sock)]
        if daemon:
            argv += ["--daemon", "--pidfile", str(self.pid_file)]
        return argv

    def signature(self):
        """The wirefilter with this management socket."""
        return ("wirefilter", f"-M {self.mgmt_sock}")

    def ready(self):
        return self.mgmt_sock.exists() and self.pid_file.exists()

    def set_loss(self, percent):
        """Drop percent % of the frames in each direction (0: none)."""
        self.command(f"loss {check_loss(percent):g}")

    def loss(self):
        """The loss percentage now set (showinfo's L->R value)."""
        for line in self.command("showinfo"):
            m = re.match(r"Loss\s+L->R\s+([0-9.]+)", line)
            if m:
                return float(m.group(1))
        raise NodeError(f"{self.label}: no Loss line in showinfo")


def check_loss(percent):
    """percent as a float in 0..100, or ValueError."""
    try:
        value = float(percent)
    except (TypeError, ValueError):
        raise ValueError(f"a loss is a percentage 0..100, not {percent!r}") from None
    if not 0 <= value <= 100:
        raise ValueError(f"a loss is a percentage 0..100, not {percent!r}")
    return value


def as_number(node):
    """The node number of a Node, an int, "node2" or "2"."""
    if isinstance(node, Node):
        return node.number
    if isinstance(node, int):
        return node
    text = str(node)
    number = int(text) if text.isdigit() else node_number(text)
    if number is None:
        raise ValueError(f"{node!r} is not a node (expected nodeN or N)")
    return number


def parse_groups(groups, numbers):
    """Partition groups as lists of node numbers, checked against the
    cluster's node numbers: every node exactly once, at least one group,
    none empty. groups: ["1,2", "3"] (the `partition` arguments) or
    [[1, 2], [3]] (numbers, names or Nodes). ValueError otherwise."""
    out = []
    for g in groups:
        items = [x for x in g.split(",") if x] if isinstance(g, str) else list(g)
        if not items:
            raise ValueError("a partition group is empty")
        out.append([as_number(x) for x in items])
    if not out:
        raise ValueError("no partition groups given")
    flat = [n for g in out for n in g]
    dup = sorted({n for n in flat if flat.count(n) > 1})
    unknown = sorted(set(flat) - set(numbers))
    missing = sorted(set(numbers) - set(flat))
    for what, which in (("listed twice", dup), ("not in the cluster", unknown),
                        ("not in any group", missing)):
        if which:
            raise ValueError(f"{', '.join(f'node{n}' for n in which)}: {what} "
                             f"(every node of {', '.join(map(str, numbers))} once)")
    return out


def format_groups(groups):
    """[[1], [2, 3]] -> "1 | 2,3"."""
    return " | ".join(",".join(map(str, g)) for g in groups)


class Cluster:
    """A cluster's network and (optionally) its Node objects.

    Topology: the central switch RUN/switch; for each node N its own switch
    RUN/nodeN/switch, where its mesh NIC plugs in, and a wirefilter (Wire)
    joining that switch to port N of the central switch. The node switches
    and wires do not depend on QEMU: a node killed and started again plugs
    into its own switch again, with its link settings unchanged.

    Faults: loss(node, percent) sets the node's wire loss; partition(groups)
    puts each group's central ports on a VLAN of its own (group i: untagged
    VLAN i), so no frame crosses groups; heal() puts every port back on
    VLAN 0. Loss and partition are independent: heal() keeps loss settings.
    All state lives in the processes (port/print, showinfo), so a Cluster
    made from the run folder (Cluster.in_run()) sees what `up` started.
    """

    def __init__(self, run, numbers, nodes=()):
        self.run = Path(run)
        self.numbers = sorted(numbers)
        self.switch = Switch(self.run, numports=CENTRAL_PORTS)
        self.node_switches = {n: Switch(self.run / f"node{n}") for n in self.numbers}
        self.wires = {n: Wire(self.run, n) for n in self.numbers}
        self.nodes = list(nodes)

    @classmethod
    def in_run(cls, run):
        """The cluster of the nodes that have a folder in run."""
        return cls(run, [n.number for n in nodes_in(run)])

    # The nodes, list-like: `for n in c`, `n1, n2 = c`, `c[0]` (but a
    # Cluster is true even before it has Node objects).
    def __bool__(self):
        return True

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    def __getitem__(self, i):
        return self.nodes[i]

    def node_switch(self, node):
        return self.node_switches[self._known(node)]

    def _known(self, node):
        number = as_number(node)
        if number not in self.wires:
            raise NodeError(f"no node{number} in this cluster "
                            f"(nodes {', '.join(map(str, self.numbers))})")
        return number

    def has_fault_net(self):
        """Whether the run folder holds (or held) node switches and wires,
        as `up` of this tree starts them; a cluster on one plain switch
        (older `up`) has none."""
        return any(p.pid_file.exists() or p.alive()
                   for p in list(self.wires.values()) + list(self.node_switches.values()))

    def _wire(self, node):
        """node's running Wire, or NodeError."""
        wire = self.wires[self._known(node)]
        if not wire.alive():
            raise NodeError(f"{wire.label} is not running (the node switches and wires "
                            f"come with scripts/cluster/up; `status` shows them)")
        return wire

    def net_parts(self):
        """Every network process, in stop order: wires, node switches, the
        central switch (a wire whose switch is gone spins on the CPU)."""
        return ([self.wires[n] for n in self.numbers]
                + [self.node_switches[n] for n in self.numbers] + [self.switch])

    def start_net(self, die_with_parent=False):
        """Start the central switch, then each node's switch and wire. On
        failure everything started is stopped and NodeError raised."""
        try:
            self.switch.start(die_with_parent)
            for n in self.numbers:
                self.node_switches[n].start(die_with_parent)
                self.wires[n].start(die_with_parent)
        except BaseException:
            self.stop_net()
            raise
        return self

    def stop_net(self):
        """Stop the network by pid (net_parts() order; SIGTERM to all wires
        first). Returns [(part, pid)] of those that were running."""
        running = [(p, p.pid) for p in self.net_parts() if p.alive()]
        for p, pid in running:
            if isinstance(p, Wire):
                Tracked._signal(pid, signal.SIGTERM)
        for p in self.net_parts():
            p.stop()
        return running

    def stop(self):
        """Stop the nodes (stop_nodes()), then the network. Returns
        ([(node, pid)], [(part, pid)])."""
        return stop_nodes(self.nodes), self.stop_net()

    def loss(self, node, percent):
        """Node's wire drops percent % of the frames each way (0: none)."""
        self._wire(node).set_loss(percent)

    def losses(self):
        """{number: loss percent, None when the wire is not running}."""
        return {n: w.loss() if w.alive() else None for n, w in self.wires.items()}

    def vlans(self):
        """{number: untagged VLAN of its central port, None if no port}."""
        ports = self.switch.ports()
        return {n: ports.get(n) for n in self.numbers}

    def partition(self, groups):
        """Split the cluster: groups as parse_groups() takes them (every
        node exactly once). Returns the groups as lists of numbers."""
        groups = parse_groups(groups, self.numbers)
        for n in self.numbers:
            self._wire(n)
        for vlan in range(1, len(groups) + 1):
            try:
                self.switch.command(f"vlan/create {vlan}")
            except NodeError as e:
                if "1017 " not in str(e):      # File exists: made earlier
                    raise
        self._set_vlans({n: vlan for vlan, g in enumerate(groups, 1) for n in g})
        return groups

    def heal(self):
        """Every node back on one network (VDE VLAN 0); loss stays."""
        for n in self.numbers:
            self._wire(n)
        self._set_vlans({n: 0 for n in self.numbers})

    def _set_vlans(self, vlan_of):
        for n, vlan in vlan_of.items():
            try:
                self.switch.command(f"port/setvlan {n} {vlan}")
            except NodeError as e:
                raise NodeError(f"node{n}: cannot move its central port {n} to "
                                f"VLAN {vlan} (is its wire running?): {e}") from None

    def groups(self):
        """The partition as groups of node numbers ([all] when whole), by
        VLAN; nodes without a central port are left out."""
        by_vlan = {}
        for n, vlan in sorted(self.vlans().items()):
            if vlan is not None:
                by_vlan.setdefault(vlan, []).append(n)
        return [by_vlan[v] for v in sorted(by_vlan)]


def cluster_nodes(run, count, switch, forward=True, mem_mib=128, kvm=False,
                  iso=ISO, extra_words=(), key=None, node_keys=None):
    """The Node objects of a cluster of `count` nodes node1..nodeN on
    `switch` (a Switch or its path; a Cluster: each node on its own node
    switch): node N boots with aion.node=N, aion.nodes=count (the
    scheduler's quorum counts from it) plus extra_words on its command
    line; node1 alone gets the loopback port forward when forward is set.
    key / node_keys ({N: HEX}): cluster keys through fw_cfg (node_fwcfg())."""
    if not 1 <= count <= MAX_NODES:
        raise NodeError(f"a cluster has 1 to {MAX_NODES} nodes, not {count}")
    return [Node(f"node{i}", run, iso=iso, mem_mib=mem_mib, kvm=kvm,
                 cmdline_extra=[f"aion.node={i}", f"aion.nodes={count}",
                                *cmdline_words(extra_words)],
                 switch=switch.node_switch(i) if isinstance(switch, Cluster) else switch,
                 forward=forward and i == 1,
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


def running_net(run):
    """The network processes alive in the run folder (wires, node switches,
    the central switch; Cluster.net_parts() order)."""
    return [p for p in Cluster.in_run(run).net_parts() if p.alive()]


def stop_cluster(run):
    """Stop every node, then the wires, the node switches and the central
    switch, by their recorded pids. Returns ([(node, pid)], [(network part,
    pid)], [nodes and parts whose pid file was stale])."""
    nodes = nodes_in(run)
    net = Cluster(run, [n.number for n in nodes], nodes)
    stale = [x for x in nodes + net.net_parts() if x.pid_file.exists() and not x.alive()]
    stopped, net_stopped = net.stop()
    return stopped, net_stopped, stale


def node_state(node):
    """"alive", "alive (paused)" (QEMU's run state when not running) or "dead"."""
    if not node.alive():
        return "dead"
    vm = node.vm_status()
    return "alive" if vm in (None, "running") else f"alive ({vm})"


def net_columns(net):
    """{number: (group, loss)} for cluster_table(): the node's partition
    group (1.. in Cluster.groups() order, "-" when its wire has no central
    port) and its wire's loss ("0%", "25%", "-" when the wire is dead)."""
    try:
        groups = net.groups() if net.switch.alive() else []
    except NodeError:
        groups = []
    group_of = {n: str(i) for i, g in enumerate(groups, 1) for n in g}
    out = {}
    for n, wire in net.wires.items():
        try:
            loss = f"{wire.loss():g}%" if wire.alive() else "-"
        except NodeError:
            loss = "?"
        out[n] = (group_of.get(n, "-"), loss)
    return out


def cluster_table(nodes, state=node_state, net=None):
    """The node table of up and status, as lines: node, address (the mesh
    address, mesh_addr()), state (state(node)), with a Cluster `net` its
    partition group and link loss (net_columns()), pid, forwarded port,
    console socket."""
    cols = net_columns(net) if net is not None else {}
    rows = [("node", "address", "state") + (("group", "loss") if net is not None else ())
            + ("pid", "forward", "console")]
    for n in nodes:
        alive = n.alive()
        port = n.forward_port if alive else None
        rows.append((n.name, mesh_addr(n.number), state(n))
                    + (cols.get(n.number, ("-", "-")) if net is not None else ())
                    + (str(n.pid) if alive else "-",
                       f"127.0.0.1:{port}->{FORWARD_GUEST_PORT}" if port else "-",
                       str(n.console_sock) if alive else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def switch_line(switch):
    if switch.alive():
        return (f"switch: alive, pid {switch.pid}, socket {switch.sock}, "
                f"management {switch.mgmt_sock}")
    return "switch: dead" + (f" (stale pid file: {switch.pid})" if switch.pid else "")


def net_lines(net):
    """status's lines on the network: the partition, and each node switch
    or wire that is not running (a node without them has no link)."""
    lines = []
    if net.switch.alive():
        try:
            groups = net.groups()
            lines.append("partition: " + (format_groups(groups) if len(groups) > 1
                                          else "none (one network)"))
        except NodeError as e:
            lines.append(f"partition: unknown ({e})")
    for p in net.net_parts()[:-1]:
        if not p.alive():
            lines.append(f"{p.label}: dead" + (f" (stale pid file: {p.pid})" if p.pid else ""))
    return lines


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
