"""The start and the end of a run (docs/nemesis.md "The harness"): kv spawned
and serving before the clients start; at the end, once every fault is
undone (faults.Nemesis.restore), the cluster settled again and a final
read of every key."""
import time

from clusterlib import kv_roles, parse_jobs

import aion_cluster as ac
import clients
import history

SETTLE_TIMEOUT_S = 60
FINAL_READ_TIMEOUT_S = 60
POLL_S = 1.0


def _shell(session, command, timeout=15):
    """(status, lines) of a shell command, (None, [error]) when it failed."""
    try:
        status, lines, _, _ = session.run(command, timeout)
        return status, lines
    except ac.NodeError as e:
        return None, [str(e)]


def _kv_placed(session, replicas):
    """{node: role} of kv per `jobs` when it has a primary and replicas
    instances in all, else None."""
    status, lines = _shell(session, "jobs")
    if status != 0:
        return None
    roles = kv_roles(parse_jobs(session.node.name, lines)[1])
    return roles if len(roles) == replicas and "primary" in roles.values() else None


def _until(what, timeout, probe):
    """probe() until it returns something true; that value, or NodeError
    naming what did not happen within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        time.sleep(POLL_S)
    raise ac.NodeError(f"{what} not within {timeout} s")


def start_kv(session, replicas):
    """Spawns kv from session's node and waits until a write succeeds
    (the key `warmup`, not one of the workload's)."""
    status, lines = _shell(session, f"spawn kv --replicas {replicas}")
    if status != 0:
        raise ac.NodeError(f"spawn kv: {lines}")
    roles = _until("kv placed", SETTLE_TIMEOUT_S, lambda: _kv_placed(session, replicas))
    _until("kv serving", SETTLE_TIMEOUT_S,
           lambda: _shell(session, "kv put warmup 1")[0] == 0)
    return roles


def _all_alive(sessions):
    numbers = sorted(sessions)
    for s in sessions.values():
        status, lines = _shell(s, "nodes")
        try:
            if status != 0 or ac.mesh_missing(ac.parse_nodes(lines), numbers):
                return False
        except ValueError:
            return False
    return True


def wait_settled(sessions, replicas):
    """Waits until every node sees every node alive and kv is placed
    whole again; returns the seconds it took, or None when it did not
    happen within SETTLE_TIMEOUT_S (the final reads are tried anyway)."""
    t0 = time.monotonic()
    first = sessions[min(sessions)]
    try:
        _until("every node alive in every view", SETTLE_TIMEOUT_S, lambda: _all_alive(sessions))
        _until("kv placed", SETTLE_TIMEOUT_S, lambda: _kv_placed(first, replicas))
    except ac.NodeError:
        return None
    return round(time.monotonic() - t0, 1)


def final_reads(sessions, recorder, keys):
    """Reads every key, each until a read answers (at most
    FINAL_READ_TIMEOUT_S), through the nodes in turn from the first: a
    node whose shell cannot reach kv does not cost the key its read.
    Returns ({key: its final read's Op}, [keys never read]). The reads go
    into the history as client "final"."""
    final, missing = {}, []
    order = [sessions[n] for n in sorted(sessions)]
    for key in keys:
        deadline = time.monotonic() + FINAL_READ_TIMEOUT_S
        while key not in final and time.monotonic() < deadline:
            for session in order:
                op = clients.call(session, recorder, "final", "get", key, [])
                if op is not None and op.result == history.OK:
                    final[key] = op
                    order.remove(session)
                    order.insert(0, session)    # the next key starts there
                    break
            else:
                time.sleep(POLL_S)
        if key not in final:
            missing.append(key)
    return final, missing
