"""The mesh as the guests see it: the `nodes` command, parsed, and the
wait until every node sees every other one alive."""
import re
import time

from .console import shell_exec
from .errors import NodeTimeout
from .node import wait_all


# `up` waits this long for every node to see every other one alive.
MESH_TIMEOUT_S = 60
# The console takes input once the serial driver says so.
CONSOLE_READY_RE = r"serial: ready\b"


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
