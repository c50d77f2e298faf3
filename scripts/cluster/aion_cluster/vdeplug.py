"""A host process's own port on a VDE switch, in Python's standard library:
vde_switch's plug protocol (vde2's libvdeplug, request version 3). The
process binds a unix datagram socket, asks the switch's ctl socket for a
port naming it, and from then on every datagram is one Ethernet frame,
both ways, until the ctl connection closes. Only unix sockets: the host
joins the VMs' switch, never a host interface (docs/network.md).

Used by the replay test (tests/cluster/cluster_replay.py): record every
frame for a while, send frames back later, send made-up ones.
"""
import os
import socket
import struct
import threading
import time
from pathlib import Path

SWITCH_MAGIC = 0xFEEDFACE
REQ_VERSION = 3
REQ_NEW_CONTROL = 0
SOCKADDR_UN_LEN = 110           # sa_family (2) + sun_path (108)
DESCR_LEN = 128
FRAME_MAX = 1514 + 4


def _sockaddr_un(path):
    raw = os.fsencode(str(path))
    if len(raw) >= SOCKADDR_UN_LEN - 2:
        raise ValueError(f"socket path too long for sockaddr_un: {path}")
    return struct.pack("=H108s", socket.AF_UNIX, raw)


class Plug:
    """A port on the switch whose socket directory is switch_dir (it holds
    `ctl`). data_path: where this plug's own datagram socket is bound (a
    free path; removed on close). Frames arrive in a thread while
    recording (start_recording / stop_recording); send(frame) sends one."""

    def __init__(self, switch_dir, data_path, description="aion replay plug"):
        self.data_path = Path(data_path)
        self.data_path.unlink(missing_ok=True)
        self.data = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.data.bind(str(self.data_path))
        self.data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.data.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ctl.connect(str(Path(switch_dir) / "ctl"))
        req = struct.pack("=III", SWITCH_MAGIC, REQ_VERSION, REQ_NEW_CONTROL)
        req += _sockaddr_un(self.data_path)
        req += description.encode()[:DESCR_LEN - 1].ljust(DESCR_LEN, b"\0")
        self.ctl.sendall(req)
        reply = b""
        while len(reply) < SOCKADDR_UN_LEN:
            chunk = self.ctl.recv(SOCKADDR_UN_LEN - len(reply))
            if not chunk:
                raise OSError("vde_switch closed the control connection: no port")
            reply += chunk
        family, path = struct.unpack("=H108s", reply)
        self.switch_path = path.split(b"\0", 1)[0]
        self.data.connect(os.fsdecode(self.switch_path))
        self.frames = []                # (time.monotonic(), bytes) while recording
        self._recording = False
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self):
        while not self._closed:
            try:
                frame = self.data.recv(FRAME_MAX)
            except OSError:
                return
            if self._recording:
                with self._lock:
                    self.frames.append((time.monotonic(), frame))

    def start_recording(self):
        with self._lock:
            self.frames = []
        self._recording = True

    def stop_recording(self):
        """The frames recorded since start_recording(), in arrival order."""
        self._recording = False
        with self._lock:
            return [f for _t, f in self.frames]

    def send(self, frame):
        self.data.send(frame)

    def close(self):
        self._closed = True
        for s in (self.ctl, self.data):
            try:
                s.close()
            except OSError:
                pass
        self.data_path.unlink(missing_ok=True)


# ---- frames: Ethernet II, IPv4, UDP (what the mesh rides on) ----

def udp_of(frame):
    """(src_ip, dst_ip, src_port, dst_port, payload) of an IPv4 UDP frame,
    else None. Addresses as dotted strings."""
    if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[0] >> 4 != 4 or ip[9] != 17 or len(ip) < ihl + 8:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    udp = ip[ihl:total]
    sport, dport, ulen = struct.unpack("!HHH", udp[:6])
    return (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), sport, dport,
            bytes(udp[8:ulen]))


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload, ident=0):
    """An Ethernet II / IPv4 / UDP frame (UDP checksum 0: none, allowed
    over IPv4). MACs as "52:54:00:00:00:02", addresses dotted."""
    mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + ip + udp
