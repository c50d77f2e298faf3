#!/usr/bin/env python3
"""lincheck: is a history of kv operations linearizable? (docs/nemesis.md
"The checker")

Usage: lincheck.py HISTORY.jsonl [--max-states N] [--json]
Exit status 0: linearizable; 1: some key is not; 2: the search gave up on
some key (its budget of states ran out) and none is known to be wrong;
3: the file is unreadable.

Every key is an independent register (kvmodel.py), so the history is split
by key and each key checked alone (P-compositionality: a history is
linearizable iff each key's sub-history is). Per key: Wing & Gong's search
with Lowe's memoization. Events (each operation's invocation and
completion) sit on a doubly linked list in time order; the search walks it
from the front: at an invocation it tries to linearize that operation next
(the model must accept its output), lifts it from the list and starts
again from the front; at a completion it has met an operation that should
already have been linearized, so it backtracks. A set of (linearized
operations, model state) pairs already explored cuts every path that
reaches a known configuration. Operations with an unknown result have no
completion event: they may be linearized at any point after their
invocation, or never; the search succeeds once every operation that
completed is linearized. (A window's edge, window.py, also makes optional
operations with a deadline: unknown output, linearized before their
completion or not at all; the search steps over their completion.)

Cost: each explored configuration costs at most one walk of the list,
O(n), and the configurations are at most n * 2^c * |states| for n
operations of which at most c are pending at once (c grows with the
clients and with every unknown operation, which stays pending to the end).
Two reductions keep c small in practice: unknown writes whose value no
operation may have read are dropped (they are never needed to explain
anything), and equal unknown operations (same call, e.g. add k 1) are
linearized in invocation order only (any one can stand for another).
The search stops after max_states configurations per key with the
verdict "unknown" rather than run for hours."""
import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import history  # noqa: E402
import kvmodel  # noqa: E402
import window  # noqa: E402

LINEARIZABLE, NOT_LINEARIZABLE, GAVE_UP = "linearizable", "not linearizable", "unknown"
DEFAULT_MAX_STATES = 1_000_000
# Each search of the window's ends (window.py) has a tenth of the budget: a
# search that gives up there counts as "has a linearization", so the window
# printed may be wider than the smallest, never wrong.
WINDOW_SHARE = 10
CALL, RETURN, END = 0, 1, -1


class _Events:
    """Lowe's list: the invocation and completion events of ops in time
    order (an invocation before a completion at the same time: the two
    operations then count as concurrent), doubly linked so that an
    operation's two events can be lifted out and put back in O(1)."""

    def __init__(self, ops):
        events = [(op.invoke, CALL, i) for i, op in enumerate(ops)]
        events += [(op.complete, RETURN, i) for i, op in enumerate(ops) if op.complete is not None]
        events.sort()
        n = len(events)
        self.head = n
        self.kind = [k for _, k, _ in events] + [None]
        self.op = [i for _, _, i in events] + [None]
        self.nxt = list(range(1, n)) + [END, 0 if n else END]
        self.prv = [n] + list(range(0, n - 1)) + [END]
        self.call, self.ret = [END] * len(ops), [END] * len(ops)
        for e, (_, kind, i) in enumerate(events):
            (self.call if kind == CALL else self.ret)[i] = e

    def first(self):
        return self.nxt[self.head]

    def _unlink(self, e):
        p, q = self.prv[e], self.nxt[e]
        self.nxt[p] = q
        if q != END:
            self.prv[q] = p

    def _relink(self, e):
        p, q = self.prv[e], self.nxt[e]
        self.nxt[p] = e
        if q != END:
            self.prv[q] = e

    def lift(self, i):
        self._unlink(self.call[i])
        if self.ret[i] != END:
            self._unlink(self.ret[i])

    def unlift(self, i):
        """Undoes lift(i); lifts are undone in reverse order."""
        if self.ret[i] != END:
            self._relink(self.ret[i])
        self._relink(self.call[i])


def earlier_twins(ops):
    """For each unknown op, the index of the last unknown op with the same
    call invoked before it (-1: none). Two such ops are interchangeable
    once both are invoked, so the search linearizes a twin only after the
    earlier one: one order instead of every subset."""
    last, twin = {}, []
    for i, op in enumerate(ops):
        if op.complete is None:
            sig = (op.f, op.args)
            twin.append(last.get(sig, -1))
            last[sig] = i
        else:
            twin.append(-1)
    return twin


class _GaveUp(Exception):
    pass


class _Search:
    """One search over one key's ops (the module comment): the state, the
    ops removed from the list (linearized, or optional ops whose deadline
    passed) as a bitset, the configurations seen, and the stack of
    removals to undo."""

    def __init__(self, ops, initial, max_states):
        self.ops, self.events = ops, _Events(ops)
        self.steps = [kvmodel.stepper(op) for op in ops]
        self.twin = earlier_twins(ops)
        self.left = sum(op.known for op in ops)     # completed ops not yet linearized
        self.state, self.done, self.seen, self.stack = initial, 0, set(), []
        self.max_states = max_states

    def run(self):
        e = self.events.first()
        while self.left:
            i = self.events.op[e]
            if self.events.kind[e] == CALL:
                e = self._try(e, i)
            elif self.ops[i].known:     # should have been linearized by now
                e = self._backtrack()
                if e is None:
                    return False
            else:                       # an optional op's deadline: it took effect earlier
                e = self.events.nxt[e]
                self._remove(i, self.state, linearized=False)
        return True

    def _try(self, e, i):
        """Linearize op i next if the model takes its output and the
        configuration is new; returns where the walk goes on."""
        twin = self.twin[i]
        new = self.steps[i](self.state) if twin < 0 or self.done >> twin & 1 else kvmodel.ILLEGAL
        config = (self.done | 1 << i, new)
        # An op with no known output that would change nothing is better
        # left for later (or never): applying it now only uses it up.
        idle = new == self.state and not self.ops[i].known
        if new is kvmodel.ILLEGAL or idle or config in self.seen:
            return self.events.nxt[e]
        if len(self.seen) >= self.max_states:
            raise _GaveUp
        self.seen.add(config)
        self._remove(i, new, linearized=True)
        return self.events.first()

    def _remove(self, i, new, linearized):
        self.stack.append((i, self.state, linearized))
        self.state, self.done = new, self.done | 1 << i
        self.events.lift(i)
        self.left -= self.ops[i].known

    def _backtrack(self):
        """Undo up to the last linearized op (and the skips after it);
        returns the event after its invocation, None when none is left."""
        while self.stack:
            i, self.state, linearized = self.stack.pop()
            self.done &= ~(1 << i)
            self.events.unlift(i)
            self.left += self.ops[i].known
            if linearized:
                return self.events.nxt[self.events.call[i]]
        return None


def search(ops, initial=kvmodel.ABSENT, max_states=DEFAULT_MAX_STATES):
    """Whether one key's ops (prepared by relevant(), sorted by invocation)
    have a linearization from the state initial: (True | False | None
    when max_states configurations did not settle it, configurations)."""
    s = _Search(ops, initial, max_states)
    try:
        ok = s.run()
    except _GaveUp:
        ok = None
    return ok, len(s.seen)


def relevant(ops):
    """The ops of one key that the search needs, by invocation: failed ops
    and unknown gets have no effect and nothing to check; an unknown write
    whose value no op may have read (kvmodel.observed) can be left out of
    any linearization that uses it, so it is dropped."""
    live = [op for op in ops if op.result != history.FAIL and (op.known or op.f != "get")]
    seen = kvmodel.observed(live)

    def needed(op):
        if op.known or op.f == "add":
            return True
        written = op.args[0] if op.f == "put" else op.args[1]
        return kvmodel.may_be_read(written, seen)
    return sorted((op for op in live if needed(op)), key=lambda op: op.invoke)


def holds(ops, initial=kvmodel.ABSENT, max_states=DEFAULT_MAX_STATES):
    """search() over relevant(ops): True, False or None (gave up)."""
    return search(relevant(ops), initial, max_states)[0]


@dataclasses.dataclass
class KeyResult:
    key: str
    verdict: str
    ops: int            # operations the search considered
    states: int         # configurations it explored
    window: object = None   # window.Window for a key that is not linearizable


def check_key(key, ops, max_states=DEFAULT_MAX_STATES, find_window=True):
    ops = relevant(ops)
    ok, states = search(ops, kvmodel.ABSENT, max_states)
    verdict = {True: LINEARIZABLE, False: NOT_LINEARIZABLE, None: GAVE_UP}[ok]
    result = KeyResult(key, verdict, len(ops), states)
    if ok is False and find_window:
        budget = max(1, max_states // WINDOW_SHARE)
        result.window = window.smallest(ops, lambda w, init: holds(w, init, budget))
    return result


def by_key(ops):
    keys = {}
    for op in ops:
        keys.setdefault(op.key, []).append(op)
    return keys


def check(ops, max_states=DEFAULT_MAX_STATES, find_window=True):
    """{key: KeyResult} for a whole history (history.Op list)."""
    return {k: check_key(k, v, max_states, find_window) for k, v in sorted(by_key(ops).items())}


def verdict(results):
    """The history's verdict from check()'s results: not linearizable if
    any key is not, unknown if the search gave up on any, else linearizable."""
    verdicts = {r.verdict for r in results.values()}
    for v in (NOT_LINEARIZABLE, GAVE_UP):
        if v in verdicts:
            return v
    return LINEARIZABLE


def summary(results):
    """The results as JSON-ready data: the verdict, per-verdict key lists,
    the largest search, and each failing key's window as text."""
    out = {"verdict": verdict(results), "keys": len(results),
           "not_linearizable": [k for k, r in results.items() if r.verdict == NOT_LINEARIZABLE],
           "gave_up": [k for k, r in results.items() if r.verdict == GAVE_UP],
           "max_states": max((r.states for r in results.values()), default=0)}
    out["windows"] = {k: window.describe(results[k].window, k) for k in out["not_linearizable"]
                      if results[k].window is not None}
    return out


def report(results, ops):
    """The text lincheck prints: one line, then each failing key's window."""
    s = summary(results)
    lines = [f"lincheck: {len(ops)} operations, {s['keys']} keys: {s['verdict']} "
             f"(largest search {s['max_states']} states)"]
    if s["gave_up"]:
        lines.append(f"gave up (state budget) on: {', '.join(s['gave_up'])}")
    lines += s["windows"].values()
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("history")
    ap.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)
    try:
        ops = history.load(args.history)
    except (OSError, ValueError, KeyError) as e:
        print(f"lincheck: {args.history}: {e}", file=sys.stderr)
        return 3
    results = check(ops, args.max_states)
    print(json.dumps(summary(results)) if args.json else report(results, ops))
    return {LINEARIZABLE: 0, NOT_LINEARIZABLE: 1, GAVE_UP: 2}[verdict(results)]


if __name__ == "__main__":
    sys.exit(main())
