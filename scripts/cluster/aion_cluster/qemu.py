"""The QEMU command line of a node: devices, NICs, its disk, kernel
command line words (SMBIOS), fw_cfg files, cluster keys, addresses."""
import os
import re
import socket
import sys
from pathlib import Path


# The mesh NIC of node N has MAC 52:54:00:00:00:NN (NN = N in hex); node1's
# second NIC, the one carrying the loopback port forward, has FORWARD_MAC.
FORWARD_MAC = "52:54:00:00:01:01"
# The guest TCP port the host's 127.0.0.1:PORT is forwarded to (echo).
FORWARD_GUEST_PORT = 7

# The fw_cfg file meshd reads its cluster key from (space/lib/include/libaion/
# fwcfg.h: FWCFG_CLUSTER_KEY). There is no default key: a node without one,
# or with one shorter than 16 bytes, stays out of the mesh (mesh/mac.h).
CLUSTER_KEY_FWCFG = "opt/aion/cluster-key"
KEY_MIN_DIGITS = 32
KEY_MAX_DIGITS = 128
# `up` makes a random key of this many bytes per cluster.
KEY_NEW_BYTES = 32
# The run folder's key file (mode 0600): nodes read it through fw_cfg
# file=, so a node started again gets the key in force (rotate-key
# replaces it).
KEY_FILE = "cluster-key"

# A node's disk: a raw image in its folder, sparse, DISK_MIB MiB
# (docs/storage.md; the guest's layout is include/aion/blk.h's).
DISK_FILE = "disk.img"
DISK_MIB = 64


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
    none), or `-fw_cfg name=NAME,file=PATH` for a TEXT "@PATH" (QEMU reads
    the file when it starts: a secret stays off the command line). Commas
    are doubled (QEMU's option syntax); names should start with "opt/"
    (QEMU warns otherwise)."""
    args = []
    for name, text in (files or {}).items():
        text = str(text)
        if text.startswith("@"):
            args += ["-fw_cfg", f"name={name},file={text[1:].replace(',', ',,')}"]
        else:
            args += ["-fw_cfg", f"name={name},string={text.replace(',', ',,')}"]
    return args


def check_key(key):
    """key (a cluster key: an even count of KEY_MIN_DIGITS..KEY_MAX_DIGITS
    hex digits, 16 to 64 bytes) or ValueError."""
    if (not re.fullmatch(rf"[0-9a-fA-F]{{{KEY_MIN_DIGITS},{KEY_MAX_DIGITS}}}", key or "")
            or len(key) % 2):
        raise ValueError(f"a cluster key is an even count of {KEY_MIN_DIGITS} to "
                         f"{KEY_MAX_DIGITS} hex digits (16 to 64 bytes), not {key!r}")
    return key


def new_key():
    """A random cluster key, KEY_NEW_BYTES bytes as hex."""
    return os.urandom(KEY_NEW_BYTES).hex()


def write_key_file(path, key):
    """Write hex key (checked) to path, mode 0600 from the start, replacing
    any earlier file in one rename. Returns path."""
    check_key(key)
    path = Path(path)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def read_key_file(path):
    """The hex key in path (check_key'd)."""
    return check_key(Path(path).read_text().strip())


def node_fwcfg(number, key=None, node_keys=None):
    """The fw_cfg files of node `number`: its cluster key, node_keys[number]
    if given, else key, as {CLUSTER_KEY_FWCFG: HEX}; a key "@PATH" names
    a key file (fwcfg_args()). {} when neither is set: the node has no key
    and stays out of the mesh."""
    chosen = (node_keys or {}).get(number, key)
    if chosen is None:
        return {}
    if not str(chosen).startswith("@"):
        check_key(chosen)
    return {CLUSTER_KEY_FWCFG: chosen}


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


def disk_args(path, faults=None, flush=True):
    """QEMU arguments of a node's disk at path (None: no disk): a raw
    image as a legacy virtio-blk PCI device, what the guest driver speaks.
    faults: a blkdebug configuration file (tests: `[inject-error]` rules
    make chosen requests fail with an I/O error); None for a plain disk.
    flush=False (tests): a device that offers no flush (writethrough,
    config-wce=off), to see the guest refuse to claim durability.

    cache=writeback: QEMU offers the guest VIRTIO_BLK_F_FLUSH, and a
    guest flush becomes an fdatasync of the image, so a write the guest
    flushed is on the host's disk (cache=unsafe would drop flushes;
    writethrough syncs every write and offers no flush). werror and rerror
    =report: a host I/O error (a full host disk) reaches the guest as an
    error status instead of pausing the VM. Commas in the path are doubled
    (QEMU's option syntax).
    """
    if path is None:
        return []
    image = str(path) if faults is None else f"blkdebug:{faults}:{path}"
    image = image.replace(",", ",,")
    cache, device = ("writeback", "") if flush else ("writethrough", ",config-wce=off")
    return ["-drive", f"file={image},if=none,id=disk0,format=raw,cache={cache},"
                      f"werror=report,rerror=report",
            "-device", f"virtio-blk-pci,drive=disk0,disable-modern=on{device}"]


def create_disk(path, mib=DISK_MIB):
    """A new raw image of mib MiB at path, sparse (it takes no space until
    written: ftruncate, as `truncate -s`); FileExistsError when there is one."""
    with open(path, "xb") as f:
        f.truncate(mib << 20)


def free_loopback_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel
    picks it for a socket bound to port 0). QEMU binds it a moment later; if
    something else takes it in between, QEMU fails to start and says so."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_port_free(port):
    """Whether nothing listens on 127.0.0.1:port now (a node started again
    asks for the port it had)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as QEMU binds it
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def qemu_binary():
    """The QEMU program: $AION_QEMU (the host tool's own tests put a fake
    there), else qemu-system-x86_64 from PATH."""
    return os.environ.get("AION_QEMU") or "qemu-system-x86_64"


def qemu_argv(iso, node_dir, mem_mib=128, kvm=False, cmdline_extra=None,
              switch_sock=None, mac=None, forward_port=None, fw_cfg=None, disk=None,
              disk_faults=None, disk_flush=True, cpus=1):
    """The QEMU command line of one node whose files live in node_dir.

    -nodefaults: no default NIC, VGA, floppy or parallel port; the node has
    exactly the devices listed here, so what the guest sees is deliberate.
    Two UARTs: COM1 is the console (console.sock, for exec and people);
    the kernel writes every log line to COM2 as well, a plain file,
    serial.log. A socket chardev's own logfile repeats a byte each time a
    slow reader makes QEMU retry it; a file never refuses a byte, so
    serial.log holds exactly what the guest wrote.
    NICs only as asked for (net_args()); fw_cfg files as fwcfg_args(fw_cfg).
    cpus: the node's CPUs (QEMU's TCG runs each on a host thread of its
    own; an idle one halts: docs/smp.md).
    disk, disk_faults, disk_flush: the node's disk (disk_args()), after the NICs: QEMU's pc
    machine routes PCI slots to IRQ lines 10 and 11 in turn, so a disk
    before them would put node1's two NICs on one line (the guest gives a
    line one driver; a disk that shares one polls instead).
    """
    node_dir = Path(node_dir)
    return [
        qemu_binary(),
        "-nodefaults",
        "-display", "none",
        "-no-reboot",
        "-m", str(mem_mib),
        "-smp", str(cpus),
        "-accel", choose_accel(kvm),
        "-cdrom", str(iso),
        "-boot", "d",
        "-chardev", f"socket,id=ser0,path={node_dir}/console.sock,server=on,wait=off",
        "-chardev", f"file,id=log0,path={node_dir}/serial.log",
        "-serial", "chardev:ser0",
        "-serial", "chardev:log0",
        "-qmp", f"unix:{node_dir}/qmp.sock,server=on,wait=off",
    ] + net_args(switch_sock, mac, forward_port) + disk_args(disk, disk_faults, disk_flush) \
      + cmdline_args(cmdline_extra) + fwcfg_args(fw_cfg)
