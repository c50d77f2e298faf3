"""Cluster key rotation on running nodes (docs/mesh-transport.md).

Three rounds over the nodes' consoles (`mesh key ...`, which meshd takes
only from the console's shell): every node adds the new key (it accepts
both from then on), then every node sends with it, then the run folder's
key file is replaced (a node started again boots with the new key) and
every node drops the old one. No packet is refused on the way: until the
last node sends with the new key, every node still accepts the old one.
"""
from .console import shell_exec
from .errors import NodeError
from .qemu import check_key, write_key_file


def _round(nodes, command, out, timeout):
    """Run command on each node; the nodes where it failed, as {name: text}."""
    failed = {}
    for n in nodes:
        lines = []
        status = shell_exec(n, command, timeout=timeout, out=lines.append)
        shown = "add NEW" if command.startswith("mesh key add") else command.split()[-1]
        out(f"{n.name}: mesh key {shown}: " + ("ok" if status == 0 else " ".join(lines)))
        if status != 0:
            failed[n.name] = " ".join(lines)
    return failed


def rotate_key(nodes, key_file, new, out=print, timeout=20.0):
    """Rotate the running nodes (Node objects, all reachable) to hex key
    new, then write it to key_file (a path, or None to leave files alone).
    Raises NodeError when a round fails: after a failed add, the nodes that
    added it retire it again (they keep the old key), so the cluster is as
    before."""
    check_key(new)
    if not nodes:
        raise NodeError("rotate-key: no node is running")
    failed = _round(nodes, f"mesh key add {new}", out, timeout)
    if failed:
        _round([n for n in nodes if n.name not in failed], "mesh key retire", out, timeout)
        raise NodeError(f"rotate-key: the new key was not added on {', '.join(failed)}: "
                        f"{failed}; the old key stays in force")
    failed = _round(nodes, "mesh key use", out, timeout)
    if failed:
        raise NodeError(f"rotate-key: {', '.join(failed)} could not switch: {failed}; "
                        f"every node still accepts both keys: run rotate-key again")
    if key_file is not None:
        write_key_file(key_file, new)
        out(f"key file replaced: {key_file}")
    failed = _round(nodes, "mesh key retire", out, timeout)
    if failed:
        raise NodeError(f"rotate-key: {', '.join(failed)} still accept the old key: {failed}")
