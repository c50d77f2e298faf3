"""One node: a QEMU VM whose files live in RUN/nodeN, and its serial log."""
import codecs
import json
import re
import signal
import subprocess
import time
from pathlib import Path

from .errors import NodeError, NodeTimeout
from .paths import ISO
from .proc import Tracked, kill_with_parent
from . import datafs
from .qemu import (DISK_FILE, DISK_MIB, cmdline_words, create_disk, free_loopback_port,
                   loopback_port_free, mesh_mac, qemu_argv)
from .qmp import qmp_command


READY_RE = r"kernel: ready"
# How long a guest may take from the power button to powering off.
SHUTDOWN_TIMEOUT_S = 30


_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text):
    """text without terminal control sequences (GRUB clears the screen) and
    carriage returns, fit for a log or a terminal."""
    return _ANSI_RE.sub("", text).replace("\r", "")


class LineEcho:
    """Writes a node's console output to stdout, one line at a time,
    each prefixed "nodeN| "."""

    def __init__(self, name):
        self.prefix, self.partial = f"{name}| ", ""

    def __call__(self, text):
        lines = (self.partial + plain(text)).split("\n")
        self.partial = lines.pop()
        for line in lines:
            print(self.prefix + line, flush=True)


def node_number(name):
    """2 for "node2"; None for a name that is not nodeN."""
    m = re.fullmatch(r"node(\d+)", name)
    return int(m.group(1)) if m else None


class Node(Tracked):
    """One QEMU VM whose files live in run_dir/name.

    switch: a Switch (or the path of a VDE switch's socket directory) to plug
    the node's mesh NIC into, MAC mesh_mac(number); None: no mesh NIC.
    forward: give the node the loopback port forward NIC (net_args()); the
    port is chosen at start() and written to forward_port.
    fw_cfg: {name: text} files for the guest's fw_cfg (fwcfg_args()).
    forward_port: the port to forward when it is free (a node started again
    keeps its port); otherwise any free one.
    disk: the node has a disk, RUN/nodeN/disk.img (disk_args()); start()
    wants it there (create_disk() makes one): a node never boots with a
    fresh disk in place of the one it had without being told. disk_faults:
    a blkdebug configuration that makes chosen requests fail; disk_flush
    False: a device without a flush (both for tests).
    bootstrap: the node boots with aion.bootstrap=1: it is one of the
    cluster's first Raft voters if its disk is still empty (create_disk(
    first=True) sets it; meshd ignores it on a formatted disk, and a node
    given a new disk later joins as a new server instead: mesh/meshd/disk.c).

    start() writes all of it to RUN/nodeN/node.json, so Node.load() can
    start the same node again later: same number, address, MAC, command
    line, key and image.
    """

    def __init__(self, name, run, iso=ISO, mem_mib=128, kvm=False,
                 cmdline_extra=None, switch=None, forward=False, fw_cfg=None,
                 forward_port=None, disk=False, disk_faults=None, disk_flush=True,
                 bootstrap=False, cpus=1):
        self.name = name
        self.cpus = cpus
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
        self.wanted_port = forward_port
        self.disk = disk
        self.disk_faults = disk_faults
        self.bootstrap = bootstrap
        self.disk_flush = disk_flush
        self.proc = None
        self._log_pos = 0
        self._text = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    # Files of the node.
    pid_file = property(lambda self: self.dir / "pid")
    console_sock = property(lambda self: self.dir / "console.sock")
    qmp_sock = property(lambda self: self.dir / "qmp.sock")
    serial_log = property(lambda self: self.dir / "serial.log")
    qemu_err = err_file = property(lambda self: self.dir / "qemu.err")
    forward_port_file = property(lambda self: self.dir / "forward_port")
    exec_seq_file = property(lambda self: self.dir / "exec.seq")
    config_file = property(lambda self: self.dir / "node.json")
    disk_file = property(lambda self: self.dir / DISK_FILE)
    # Written by shutdown() when the guest powered itself off, removed at
    # start(): status tells a node stopped in order from one that died.
    stopped_file = property(lambda self: self.dir / "stopped")
    # The serial log of the boot before the current one (start() keeps it).
    previous_log = property(lambda self: self.dir / "serial.log.1")

    def config(self):
        """What start() needs to boot this node again, as JSON-ready data."""
        return {"number": self.number, "iso": str(self.iso), "mem_mib": self.mem_mib,
                "kvm": self.kvm, "cmdline": cmdline_words(self.cmdline_extra),
                "switch": None if self.switch_sock is None else str(self.switch_sock),
                "forward": self.forward, "forward_port": self.forward_port,
                "fw_cfg": self.fw_cfg, "disk": self.disk,
                "disk_faults": None if self.disk_faults is None else str(self.disk_faults),
                "disk_flush": self.disk_flush, "bootstrap": self.bootstrap,
                "cpus": self.cpus}

    @classmethod
    def load(cls, run, name):
        """The node `name` of the run folder as it was last started (its
        node.json); NodeError when it has none."""
        node = cls(name, run)
        try:
            c = json.loads(node.config_file.read_text())
            return cls(name, run, iso=c["iso"], mem_mib=c["mem_mib"], kvm=c["kvm"],
                       cmdline_extra=c["cmdline"], switch=c["switch"],
                       forward=c["forward"], fw_cfg=c["fw_cfg"],
                       forward_port=c["forward_port"], disk=c.get("disk", False),
                       disk_faults=c.get("disk_faults"), disk_flush=c.get("disk_flush", True),
                       bootstrap=c.get("bootstrap", False), cpus=c.get("cpus", 1))
        except FileNotFoundError:
            raise NodeError(f"{name}: no {node.config_file.name} in {node.dir}: it was "
                            f"never started by this tool (an older `up`?); "
                            f"scripts/cluster/down, then up") from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise NodeError(f"{name}: unreadable {node.config_file}: {e}") from None

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
        # aion.clock: the host's clock at this start, in seconds. meshd's
        # boot count starts no lower, so a node given a new, empty disk
        # still counts above its old disk's boots (docs/mesh-transport.md).
        words = cmdline_words(self.cmdline_extra) + (["aion.bootstrap=1"] if self.bootstrap else [])
        words += [f"aion.clock={int(time.time())}"]
        return qemu_argv(self.iso, self.dir, self.mem_mib, self.kvm,
                         words, self.switch_sock, self.mac,
                         self._forward_port, self.fw_cfg,
                         self.disk_file if self.disk else None, self.disk_faults,
                         self.disk_flush, self.cpus)

    def check_disk(self):
        """NodeError when the node has a disk and its file is gone."""
        if self.disk and not self.disk_file.is_file():
            raise NodeError(f"{self.name}: its disk {self.disk_file} is gone (`down` removes "
                            f"disks unless --keep-disks); `up` makes new ones")

    def create_disk(self, mib=DISK_MIB, first=False, data=None, fs=True):
        """Make this node's disk (sparse, mib MiB): empty but for an ext4
        file system in its data region, made by the host's mke2fs with
        the files of the folder data in it when given (datafs; none when
        not fs: the block tests check every byte of the region). NodeError
        when it has one already: a disk is never replaced behind its
        owner's back. first: the node is one of the cluster's first voters
        (`up`), so it boots with aion.bootstrap=1; otherwise (a node added
        later, a disk made anew) it joins the cluster as a new Raft
        server."""
        self.bootstrap = first
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            create_disk(self.disk_file, mib)
        except FileExistsError:
            raise NodeError(f"{self.name} has a disk already: {self.disk_file}") from None
        except OSError as e:
            raise NodeError(f"{self.name}: cannot create its disk {self.disk_file}: {e}") \
                from None
        if not fs:
            return self.disk_file
        try:
            datafs.format_data(self.disk_file, mib, data)
        except RuntimeError as e:
            self.disk_file.unlink()
            raise NodeError(f"{self.name}: {e}") from None
        return self.disk_file

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
        self.check_disk()
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.serial_log.exists():
            self.serial_log.replace(self.previous_log)
        for f in (self.console_sock, self.qmp_sock, self.pid_file,
                  self.forward_port_file, self.stopped_file):
            f.unlink(missing_ok=True)
        if self.forward:
            want = self.wanted_port
            self._forward_port = want if want and loopback_port_free(want) else free_loopback_port()
            self.wanted_port = self._forward_port
            self.forward_port_file.write_text(f"{self._forward_port}\n")
        self.config_file.write_text(json.dumps(self.config(), indent=1) + "\n")
        argv = self.argv()
        (self.dir / "qemu.argv").write_text("\n".join(argv) + "\n")
        with open(self.qemu_err, "wb") as err:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err, start_new_session=True,
                preexec_fn=kill_with_parent if die_with_parent else None)
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

    def shutdown(self, timeout=SHUTDOWN_TIMEOUT_S, echo=None):
        """Ask the guest to shut down, as `virsh shutdown` does: QMP
        system_powerdown presses the ACPI power button; init stops the
        services and powers the machine off, and QEMU exits by itself.
        A paused VM is resumed first (it could not see the button).
        echo(line) gets each whole log line the guest prints meanwhile.
        Returns the seconds until QEMU exited. NodeTimeout when it still
        runs after `timeout` s (it is left running: the caller decides),
        NodeError when the node is not running."""
        if not self.alive():
            raise NodeError(f"{self.name} is not running")
        if self.vm_status() == "paused":
            self.resume()
        self.read_new()
        pos = len(self._text)
        t0 = time.monotonic()
        self.qmp("system_powerdown")
        while self.alive():
            self.read_new()
            end = self._text.rfind("\n") + 1
            if echo and end > pos:
                for line in plain(self._text[pos:end]).splitlines():
                    echo(line)
                pos = end
            if time.monotonic() - t0 >= timeout:
                raise NodeTimeout(f"{self.name}: still running {timeout:g} s after the "
                                  f"power button\n  last log lines:\n{self.tail(10)}")
            time.sleep(0.05)
        took = time.monotonic() - t0
        if echo:
            for line in plain(self.text[pos:]).splitlines():
                echo(line)
        self._forget()
        self.stopped_file.write_text(f"{took:.3f}\n")
        return took

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
