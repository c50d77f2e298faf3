"""The VDE programs of a run folder: switches (vde_switch) and wires
(wirefilter), with their management sockets."""
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .errors import NodeError
from .node import node_number
from .proc import Tracked, kill_with_parent


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
                    preexec_fn=kill_with_parent)
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
    vde_switch -n (None: its default, 32). hub: vde_switch -x, every frame
    to every port (a capture plug sees unicast between nodes: the replay
    test)."""

    def __init__(self, run, name="switch", numports=None, hub=False):
        run = Path(run)
        super().__init__(run / name)
        self.run = run
        self.sock = run / name
        self.numports = numports
        self.hub = hub
        self.label = (f"{run.name} switch" if node_number(run.name)
                      else "the switch" if name == "switch" else name)

    def argv(self, daemon):
        argv = ["vde_switch", "-s", str(self.sock), "-M", str(self.mgmt_sock)]
        if self.numports:
            argv += ["-n", str(self.numports)]
        if self.hub:
            argv += ["-x"]
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
