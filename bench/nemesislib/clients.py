"""The nemesis clients (docs/nemesis.md "Clients"): one host thread per
client, each sending kv commands to its node's console through a held-open
session (aion_cluster.Session) one at a time, and the recorder that keeps
the history (tests/lincheck/history.py) in memory and in history.jsonl.

Times are the host's time.monotonic(), relative to the run's start: the
invocation just before the command is written to the console, the
completion when its `done` line has been read."""
import threading
import time

import aion_cluster as ac
import history
import kvshell

# How long a client waits for one command's answer. The shell retries a
# write for up to 5 s; a paused node answers once resumed (pauses last at
# most 10 s). After this the call is unknown and the client waits for the
# late answer before its next call, never two at once.
OP_TIMEOUT_S = 30
DOWN_POLL_S = 0.5


class Recorder:
    """The history: ops in the order they were recorded, each also
    written at once as one line of the JSONL file (a crash keeps them)."""

    def __init__(self, path, t0):
        self.path, self.t0 = path, t0
        self.ops, self.lock = [], threading.Lock()
        self.file = open(path, "w")

    def add(self, **fields):
        with self.lock:
            op = history.check_op(history.Op(id=len(self.ops), **fields))
            self.ops.append(op)
            if not self.file.closed:    # a call ending after an interrupted run
                self.file.write(history.to_json(op) + "\n")
                self.file.flush()
            return op

    def since_start(self, t):
        return round(t - self.t0, 6)

    def close(self):
        with self.lock:
            self.file.close()


def found(op):
    """The value a completed call found or left (None: absent), or
    False when it tells nothing (an add refused, a failed call)."""
    out = op.output
    if op.result != history.OK or (op.f == "add" and "value" not in out):
        return False
    if op.f == "get":
        return out["value"]
    if op.f == "cas":
        return op.args[1] if out["applied"] else out["current"]
    return str(out["value"]) if op.f == "add" else op.args[0]


def call(session, recorder, client, f, key, args):
    """One call through session, recorded; returns its Op, or None when it
    was never sent (the node is down or its console not ready)."""
    try:
        status, lines, sent, done = session.run(kvshell.command(f, key, args), OP_TIMEOUT_S)
    except ac.NodeError as e:
        if getattr(e, "sent_at", None) is None:
            return None
        return recorder.add(f=f, key=key, args=tuple(args), client=client,
                            node=session.node.number, result=history.UNKNOWN,
                            invoke=recorder.since_start(e.sent_at),
                            error="host: " + type(e).__name__, errors=("host timeout",))
    result, output, error, errors = kvshell.outcome(f, lines)
    return recorder.add(f=f, key=key, args=tuple(args), client=client,
                        node=session.node.number, result=result, output=output,
                        invoke=recorder.since_start(sent),
                        complete=recorder.since_start(done) if result != history.UNKNOWN else None,
                        error=error, errors=tuple(errors))


class Client(threading.Thread):
    """Client `number`: calls from `calls` (workload.Calls) on its node's
    session until stop is set; waits while its node is down."""

    def __init__(self, number, session, calls, recorder, stop):
        super().__init__(daemon=True, name=f"client{number}")
        self.number, self.session, self.calls = number, session, calls
        self.recorder, self.stop = recorder, stop
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                f, key, args = self.calls.next()
                op = call(self.session, self.recorder, self.number, f, key, args)
                if op is None:
                    self.stop.wait(DOWN_POLL_S)
                elif found(op) is not False:
                    self.calls.saw(key, found(op))
        except Exception as e:      # reported by the harness, not lost in a thread
            self.error = f"{type(e).__name__}: {e}"
            raise


def start_clients(sessions, calls, recorder, stop):
    """One Client per (session, calls) pair, numbered from 1, started."""
    clients = [Client(i, s, c, recorder, stop) for i, (s, c) in enumerate(zip(sessions, calls), 1)]
    for c in clients:
        c.start()
    return clients


def stop_clients(clients, stop, timeout=OP_TIMEOUT_S + 5):
    """Stops the clients (each ends its current call first); returns the
    errors of those that failed or would not end."""
    stop.set()
    deadline = time.monotonic() + timeout
    for c in clients:
        c.join(max(0.0, deadline - time.monotonic()))
    return [f"client{c.number}: {c.error or 'did not end'}" for c in clients
            if c.error or c.is_alive()]
