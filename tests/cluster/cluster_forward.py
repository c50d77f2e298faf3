#!/usr/bin/env python3
"""net-forward: the host's own TCP client reaches a TCP echo service on a
node through the loopback port forward (node 1's second NIC: QEMU user
networking, restrict=on, the forward bound to 127.0.0.1), served by netd on
that NIC and nettest's tcp-echo role; every byte comes back.
Usage: cluster_forward.py ISO"""
import os
import socket
import time

from clusterlib import ac, check, cluster, main

SIZE = 256 * 1024


def echo_once(port, payload, timeout=30):
    """Connects to 127.0.0.1:port, sends payload, returns what came back."""
    got = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        sent = 0
        while sent < len(payload) or len(got) < len(payload):
            if sent < len(payload):
                sent += s.send(payload[sent:sent + 16384])
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
    return bytes(got)


def test(iso):
    with cluster(iso, [["aion.nettest=tcp-echo"]], "aion-fwd-", forward=True) as nodes:
        n1 = nodes[0]
        n1.wait_for(r"netd: up addr=10\.0\.2\.15", 60)
        n1.wait_for(r"nettest: tcp listening port=7\b", 60)
        port = n1.forward_port
        payload = os.urandom(SIZE)
        t0 = time.monotonic()
        got = echo_once(port, payload)
        took = time.monotonic() - t0
        print(f"127.0.0.1:{port} -> node1:7: {len(got)} of {SIZE} bytes back in {took:.2f} s")
        check(got == payload, f"the echo returned {len(got)} bytes, "
              f"{'equal' if got == payload[:len(got)] else 'different'} so far")


if __name__ == "__main__":
    main(test)
