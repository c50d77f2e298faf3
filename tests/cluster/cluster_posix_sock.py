#!/usr/bin/env python3
"""posix-sockets-cluster: an unmodified C program (tests/posix/sockets.c,
musl and the POSIX layer) on each of two nodes talks to the other through
netd's sockets (docs/posix.md "Sockets"). utest runs as init's service
"posixtest" next to the node's services (aion.posixtest=NAME[:ARG]):
  node 1: posixsockserver: `sockets server`, unit sockserver: a UDP echo
          and a TCP server on port 7300 for one client each
  node 2: posixsockclient:10.77.0.1: `sockets client 10.77.0.1`, unit
          sockclient: the echo, 12,000 bytes over TCP answered with their
          count and checksum, the peer's address, and ECONNREFUSED from a
          port nobody listens on
Both must print exactly their lines and exit 0; and the differential
test (issue 17, Done when 3): the same source built with musl-gcc
(HOSTEXE), run here as server and client on 127.0.0.1, must print the
same lines.
Usage: cluster_posix_sock.py HOSTEXE ISO"""
import re
import subprocess
import sys

from clusterlib import ac, check, cluster, main

BOOT_TIMEOUT_S = 90
RUN_TIMEOUT_S = 240
ADDR1 = "10.77.0.1"
SERVER_LINES = [
    "server ready",
    "server udp echoed 7",
    "server tcp got 12000 bytes",
    "sockets: ok",
]
CLIENT_LINES = [
    "client udp echo 7 'echo me' from the server 1",
    "client tcp peer is the server 1",
    "client tcp answer matches",
    "client connect to closed port: ECONNREFUSED",
    "sockets: ok",
]


def lines_of(node, unit, end):
    """What the unit printed before end, one item a log line."""
    return re.findall(rf"^.*?\b{unit}: (.*?)\r?$", node.text[:end], re.MULTILINE)


HOST_TIMEOUT_S = 60


def host_lines(exe):
    """(server's lines, client's lines) of the host's run on loopback; each
    process is stopped by its pid whatever happens."""
    server = subprocess.Popen(["sockserver", "server", "127.0.0.1"], executable=exe, env={},
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        first = server.stdout.readline().rstrip("\n")
        check(first == "server ready", f"host server: {first!r}")
        client = subprocess.run(["sockclient", "client", "127.0.0.1"], executable=exe, env={},
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=HOST_TIMEOUT_S,
                                check=False)
        rest, _ = server.communicate(timeout=HOST_TIMEOUT_S)
        check(server.returncode == 0 and client.returncode == 0,
              f"host: server exit {server.returncode}, client exit {client.returncode}")
        return [first] + rest.splitlines(), client.stdout.splitlines()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test(iso):
    words = [["aion.posixtest=posixsockserver"], [f"aion.posixtest=posixsockclient:{ADDR1}"]]
    with cluster(iso, words, "aion-posixsock-") as nodes:
        ac.wait_all(nodes, r"netd: up addr=10\.77\.0\.\d+", BOOT_TIMEOUT_S)
        n1, n2 = nodes
        said_by = {}
        for node, name, unit, want in ((n2, "posixsockclient", "sockclient", CLIENT_LINES),
                                       (n1, "posixsockserver", "sockserver", SERVER_LINES)):
            m = node.wait_for(rf"posixtest: test {name} (ok|FAIL)\b.*", RUN_TIMEOUT_S)
            print(f"{node.name}: {m.group(0)}")
            said = lines_of(node, unit, m.start())
            for line in said:
                print(f"{node.name}: {unit}: {line}")
            check(said == want, f"{unit}'s lines differ: got {said}, expected {want}")
            check(m.group(1) == "ok" and "exit_code=0" in m.group(0),
                  f"{name}: {m.group(0)}")
            said_by[unit] = said
        for node in nodes:
            bad = re.search(r"kernel: (?:fault |halted\b).*|unit fault unit=(?:netd|posixtest)\b.*",
                            node.text)
            check(not bad, f"{node.name}: {bad and bad.group(0)}")
    return said_by


def test_with_host(iso):
    aion = test(iso)
    server, client = host_lines(HOST_EXE)
    for unit, host in (("sockserver", server), ("sockclient", client)):
        for line in host:
            print(f"host: {unit}: {line}")
        check(host == aion[unit], f"{unit}: the host printed {host}, Aion {aion[unit]}")
    print("the host's run on loopback printed the same lines as the two nodes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: cluster_posix_sock.py HOSTEXE ISO")
    HOST_EXE = sys.argv.pop(1)
    main(test_with_host)
