#!/usr/bin/env python3
"""A stand-in for qemu-system-x86_64 in the host tool's own tests
(test_aion_cluster.py runs the cluster commands with AION_QEMU pointing
here), so start, stop, add, logs and status are tested in seconds and
without an image. It takes the command line aion_cluster.qemu_argv()
builds and behaves, on the outside, like a node:

- writes guest-style log lines ("[   0.100000] nodeN kernel: ready") to
  the log port's file (-chardev file,id=log0,path=...);
- serves the console socket: a line "@K COMMAND" gets the command's output
  and "shell: done seq=K status=S", on the socket and in the log. Commands:
  `nodes` (every node of the run folder whose pid file names a live
  process is alive, the others dead), `members` (those live nodes are the
  Raft voters, but one whose folder holds `raft-removed`), `members
  remove N` (writes that file), `uptime`, `echo WORDS`; others fail;
- serves QMP: qmp_capabilities, query-status, stop, cont, quit, and
  system_powerdown, after which it logs init's shutdown lines and exits 0,
  unless its node folder holds a file `ignore-power-button`;
- opens the disk image of -drive file=... as QEMU does: a missing one is
  an error (exit 1), else the driver's ready line tells its size.
"""
import json
import os
import re
import selectors
import signal
import socket
import sys
import time

T0 = time.monotonic()


def option_values(argv, flag):
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def drive_path(argv):
    """The image of the first -drive (its file=, commas undoubled), or None."""
    for spec in option_values(argv, "-drive"):
        m = re.match(r"file=((?:[^,]|,,)*)", spec)
        if m:
            return m.group(1).replace(",,", ",")
    return None


def chardev_path(argv, backend):
    for spec in option_values(argv, "-chardev"):
        if spec.startswith(backend + ","):
            return dict(kv.split("=", 1) for kv in spec.split(",")[1:] if "=" in kv)["path"]
    raise SystemExit(f"fake_qemu: no -chardev {backend}")


class Guest:
    def __init__(self, argv):
        self.console_path = chardev_path(argv, "socket")
        self.log = open(chardev_path(argv, "file"), "a", buffering=1)
        self.qmp_path = option_values(argv, "-qmp")[0].split(":", 1)[1].split(",")[0]
        words = " ".join(option_values(argv, "-smbios"))
        self.number = int(re.search(r"aion\.node=(\d+)", words).group(1))
        self.dir = os.path.dirname(self.console_path)
        self.disk = drive_path(argv)
        if self.disk is not None and not os.path.isfile(self.disk):
            sys.exit(f"fake_qemu: -drive: Could not open '{self.disk}': No such file or directory")
        self.running = True
        self.sel = selectors.DefaultSelector()
        self.clients = {}           # socket -> (kind, pending input)
        for path, kind in ((self.console_path, "console"), (self.qmp_path, "qmp")):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(1)
            self.sel.register(s, selectors.EVENT_READ, ("listen", kind))

    def say(self, unit, text, to=None):
        line = f"[{time.monotonic() - T0:12.6f}] node{self.number} {unit}: {text}\n"
        self.log.write(line)
        if to is not None:
            to.sendall(line.encode())

    def nodes(self):
        run = os.path.dirname(self.dir)
        rows = []
        for name in sorted(os.listdir(run)):
            m = re.fullmatch(r"node(\d+)", name)
            if not m:
                continue
            try:
                pid = int(open(os.path.join(run, name, "pid")).read())
                os.kill(pid, 0)
                state = "alive"
            except (OSError, ValueError):
                state = "dead"
            n = int(m.group(1))
            rows.append(f"node={n} addr=10.77.0.{n} state={state} inc=0 heard_ms=0"
                        + (" self" if n == self.number else ""))
        return [f"nodes self={self.number} count={len(rows)}"] + rows

    def members(self):
        run = os.path.dirname(self.dir)
        alive = [int(r.split()[0][5:]) for r in self.nodes()[1:] if "state=alive" in r]
        voters = [n for n in alive
                  if not os.path.exists(os.path.join(run, f"node{n}", "raft-removed"))]
        return ([f"raft id={self.number} node={self.number} role=follower term=2 leader=1 "
                 f"commit=2 applied=2 snapshot=1"]
                + [f"server id={n} node={n} voter" for n in voters])

    def remove(self, number):
        path = os.path.join(os.path.dirname(self.dir), f"node{number}")
        if not os.path.isdir(path):
            return [f"error: members remove: AION_ENOENT: no server on node {number}"], 1
        open(os.path.join(path, "raft-removed"), "w").close()
        return [f"removed server id={number} node={number}"], 0

    def run_command(self, line, sock):
        m = re.fullmatch(r"@(\d+) (.*)", line)
        seq, cmd = (m.group(1), m.group(2)) if m else (None, line)
        words = cmd.split()
        status = 0
        if cmd == "nodes":
            out = self.nodes()
        elif cmd == "members":
            out = self.members()
        elif words[:2] == ["members", "remove"] and len(words) == 3 and words[2].isdigit():
            out, status = self.remove(int(words[2]))
        elif cmd == "uptime":
            up = time.monotonic() - T0      # the guest's line: idle all along, 7 halts a second
            out = [f"uptime s={up:.3f} idle_ms={int(up * 1000)} idle_entries={int(up * 7)}"]
        elif words[:1] == ["echo"]:
            out = [" ".join(words[1:])]
        else:
            out, status = [f"error: unknown command or arguments: {cmd}"], 1
        for text in out:
            self.say("shell", text, sock)
        if seq is not None:
            self.say("shell", f"done seq={seq} status={status}", sock)

    def qmp(self, msg, sock):
        cmd = msg.get("execute")
        reply = {"return": {}}
        if cmd == "query-status":
            reply = {"return": {"status": "running" if self.running else "paused",
                                "running": self.running}}
        elif cmd in ("stop", "cont"):
            self.running = cmd == "cont"
        elif cmd == "quit":
            sock.sendall(json.dumps(reply).encode() + b"\n")
            sys.exit(0)
        elif cmd == "system_powerdown":
            sock.sendall(json.dumps(reply).encode() + b"\n")
            if not os.path.exists(os.path.join(self.dir, "ignore-power-button")):
                self.power_off()
            return
        elif cmd != "qmp_capabilities":
            reply = {"error": {"class": "CommandNotFound", "desc": cmd}}
        sock.sendall(json.dumps(reply).encode() + b"\n")

    def power_off(self):
        self.say("init", "shutdown requested by=power-button")
        self.say("init", "shutdown complete, powering off")
        time.sleep(0.1)
        sys.exit(0)

    def accept(self, listener, kind):
        sock, _ = listener.accept()
        self.clients[sock] = [kind, b""]
        self.sel.register(sock, selectors.EVENT_READ, ("client", kind))
        if kind == "qmp":
            sock.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')

    def read(self, sock):
        data = sock.recv(4096)
        if not data:
            self.sel.unregister(sock)
            del self.clients[sock]
            sock.close()
            return
        entry = self.clients[sock]
        entry[1] += data
        while b"\n" in entry[1]:
            line, entry[1] = entry[1].split(b"\n", 1)
            if entry[0] == "qmp":
                self.qmp(json.loads(line), sock)
            elif self.running:
                self.run_command(line.decode().strip(), sock)

    def serve(self):
        self.say("kernel", "ready")
        if self.disk is not None:
            blocks = os.path.getsize(self.disk) // 512
            self.say("virtio-blk", f"ready blocks={blocks} flush=yes irq=11 queue=256")
        self.say("serial", "ready")
        while True:
            for key, _ in self.sel.select():
                role, kind = key.data
                if role == "listen":
                    self.accept(key.fileobj, kind)
                else:
                    self.read(key.fileobj)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Guest(sys.argv[1:]).serve()


if __name__ == "__main__":
    main()
