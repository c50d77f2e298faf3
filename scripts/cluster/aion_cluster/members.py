"""The cluster's Raft configuration as the nodes report it (`members`,
docs/mesh.md "Consensus"), and the host's side of membership changes:
waiting until a node votes (`add`) and removing a node's server (`remove`)."""
import re
import time

from .console import shell_exec
from .errors import NodeError

SERVER_RE = re.compile(r"server id=(\w+) node=(\d+) (voter|learner)")
HEAD_RE = re.compile(r"raft id=(\w+) node=(\d+) role=(\w+) term=(\d+) leader=(\d+)")
# Answers to `members remove` that mean "not now": asked again.
RETRY_ERRORS = ("AION_EBUSY", "AION_EAGAIN", "AION_ENOQUORUM", "AION_ETIMEDOUT",
                "AION_EINDOUBT", "AION_EHOSTDOWN")


def members(node, timeout=10.0):
    """(head, {node number: "voter"|"learner"}) from node's `members`; head:
    {"role", "term", "leader"}. NodeError when it does not answer."""
    lines = []
    status = shell_exec(node, "members", timeout=timeout, out=lines.append)
    head = next((m for m in map(HEAD_RE.search, lines) if m), None)
    if status != 0 or head is None:
        raise NodeError(f"{node.name}: members: {lines}")
    servers = {int(m.group(2)): m.group(3) for m in map(SERVER_RE.search, lines) if m}
    return {"role": head.group(3), "term": int(head.group(4)),
            "leader": int(head.group(5))}, servers


def wait_voter(nodes, number, timeout):
    """Until one of nodes lists node `number` as a voter; NodeError after
    timeout s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for n in nodes:
            try:
                _, servers = members(n)
            except NodeError as e:
                last = str(e)
                continue
            last = servers
            if servers.get(number) == "voter":
                return
        time.sleep(0.5)
    raise NodeError(f"node{number} is no voter after {timeout:g} s (last seen: {last})")


def remove_server(node, number, timeout):
    """Asks node (any live one) to remove node `number`'s server from the
    configuration, again while the cluster is busy with another change,
    then waits until node no longer lists it."""
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        status = shell_exec(node, f"members remove {number}", timeout=timeout, out=lines.append)
        text = " ".join(lines)
        if status == 0:
            break
        if not any(e in text for e in RETRY_ERRORS) or time.monotonic() > deadline:
            raise NodeError(f"{node.name}: members remove {number}: {text}")
        time.sleep(0.5)
    while number in members(node)[1]:
        if time.monotonic() > deadline:
            raise NodeError(f"node{number} is still in {node.name}'s configuration")
        time.sleep(0.3)
