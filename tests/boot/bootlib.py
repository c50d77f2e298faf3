"""Shared helpers of the QEMU boot tests.

Each test script is run by meson as `python3 tests/boot/X.py ISO`. A test
boots the ISO in a temporary run folder of its own through aion_cluster (the
one definition of a node) and always stops its VM: on success, on failure,
on meson's SIGTERM at a timeout, and (through PDEATHSIG) even if killed.
"""
import re
import shutil
import socket
import sys
import threading
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "cluster"))
import aion_cluster as ac  # noqa: E402

READY_TIMEOUT_S = 50
# The first of these lines tells whether the boot got to `ready` at all.
BOOT_END_RE = r"kernel: (ready|fault|halted)\b"


class TestFailure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise TestFailure(message)


def fields(line):
    """The key=value tokens of a kernel log line as a dict of strings."""
    return dict(re.findall(r"(\w+)=(\S+)", line))


def line_at(text, match):
    """The whole log line holding match, as plain text."""
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    return ac.plain(text[start:end if end >= 0 else len(text)]).strip()


@contextmanager
def booted(iso, mem_mib=128, cmdline_extra=None, fw_cfg=None, disk=True, disk_faults=None,
           disk_flush=True, disk_data=None, before_start=None, disk_mib=None, cpus=1):
    """Boot a node in a fresh run folder, wait for `kernel: ready`, yield it.

    fw_cfg: {name: text} files for the guest (ac.fwcfg_args()); None: a
    random cluster key alone, as `up` gives (meshd has no default key), {}:
    nothing, not even a key. disk: the
    node gets a new, empty disk (RUN/node1/disk.img), as every cluster
    node has; disk_faults: the text of a blkdebug configuration for it
    (requests it makes fail); disk_flush=False: a device without a flush;
    disk_data: a folder, and the data region gets an ext4 file system with
    its files in it (as `up` makes), else it stays raw; before_start(disk
    file) runs after the disk is made, before the VM starts; disk_mib:
    its size (ac.DISK_MIB when None); cpus: the node's CPUs.
    The VM is stopped and the folder, disk and all, removed when the
    block ends.
    """
    if fw_cfg is None:
        fw_cfg = {ac.CLUSTER_KEY_FWCFG: ac.new_key()}
    run = tempfile.mkdtemp(prefix="aion-boot-", dir="/tmp")
    faults = Path(run) / "blkdebug.cfg" if disk_faults else None
    node = ac.Node("node1", run, iso=iso, mem_mib=mem_mib, cmdline_extra=cmdline_extra,
                   fw_cfg=fw_cfg, disk=disk, disk_faults=faults, disk_flush=disk_flush,
                   cpus=cpus)
    try:
        if faults:
            faults.write_text(disk_faults)
        if disk:
            # Raw unless asked: blktest writes the data region and the
            # host checks its every byte (boot_disk.py); ext2d finds no
            # file system there and serves none.
            node.create_disk(mib=disk_mib or ac.DISK_MIB, first=True, data=disk_data,
                             fs=disk_data is not None)
            if before_start:
                before_start(node.disk_file)
        node.start(die_with_parent=True)
        first = node.wait_for(BOOT_END_RE, READY_TIMEOUT_S)
        check(first.group(1) == "ready",
              f"the kernel reported `{line_at(node.text, first)}` before `kernel: ready`")
        yield node
    except TestFailure:
        print("---- serial log ----\n" + "\n".join(node.log_lines()))
        raise
    finally:
        node.stop()
        shutil.rmtree(run, ignore_errors=True)


class ConsoleSocket:
    """A client of the node's console socket (COM1): type() writes to it,
    and a thread keeps draining it (a client that stops reading stalls the
    guest's UART output); the output is read from the log (node.text)."""

    def __init__(self, node):
        self.node = node
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(str(node.console_sock))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass

    def type(self, data):
        self.sock.sendall(data)

    def close(self):
        # shutdown first: close() alone leaves the connection open while
        # the drain thread sits in recv() (the kernel keeps the socket
        # until that call returns), so QEMU, which serves one client at a
        # time, would not take the next one until the guest printed
        # something; an idle node prints nothing and the next command
        # waited for good (data-fs, 2026-12-06).
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def main(test):
    """Run test(iso) and turn its outcome into an exit status with a message."""
    ac.exit_on_signals()
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} ISO")
    try:
        test(Path(sys.argv[1]))
    except (TestFailure, ac.NodeError) as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("PASS")
