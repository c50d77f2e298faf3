"""The smallest window of a key's history that has no linearization: what
lincheck prints for a key that is not linearizable (docs/nemesis.md).

A window [s, t] keeps the operations that overlap it: those invoked at or
after s and completed by t with their outputs; those still running at t
as unknown (they may or may not have taken effect, any time); those
already running at s and completed by t as optional with a deadline (their
output unknown: they took effect before s, or after it and before their
completion); it starts from ANY state (whatever the operations before s
left).
Every linearization of the whole history gives one of each window (cut it
at s and t), so a window without one proves the history is not
linearizable. Widening a window only adds constraints, so both ends are
found by binary search: first the earliest t for which the prefix up to t
fails (from the true initial state, absent), then the latest s for which
[s, t] still fails from ANY. When no s does, the window is the whole
prefix, from absent: the failure needs the initial state (a read of a
value never written, say)."""
import dataclasses

import history
import kvmodel


@dataclasses.dataclass
class Window:
    ops: list           # as checked: overlapping operations are unknown
    initial: object     # kvmodel.ABSENT or kvmodel.ANY
    start: float
    end: float
    recorded: dict = dataclasses.field(default_factory=dict)  # id(checked op): recorded op


def _clip(op, s, t):
    """op as the window [s, t] holds it: None (outside), op, op made unknown
    (it ran past t) or optional with its completion as deadline (it ran
    across s)."""
    if op.invoke > t or (op.complete is not None and op.complete < s):
        return None
    if op.complete is None or op.complete > t:
        return op.unknown()
    if op.invoke < s:   # it may have taken effect before s or up to its completion
        return dataclasses.replace(op, result=history.UNKNOWN, output=None)
    return op


def prefix(ops, t):
    """The history up to time t: what ran until then, unfinished ops unknown."""
    return cut(ops, float("-inf"), t)


def cut(ops, s, t):
    """The window [s, t] (module comment): ops that completed before s are
    gone, those running across s or t lose their output."""
    return [c for c in (_clip(op, s, t) for op in ops) if c is not None]


def _window(ops, initial, s, t):
    checked, recorded = [], {}
    for op in ops:
        c = _clip(op, s, t)
        if c is not None:
            checked.append(c)
            recorded[id(c)] = op
    return Window(checked, initial, s, t, recorded)


def _first_true(n, pred):
    """The least i in [0, n) with pred(i), for a pred monotone in i (false
    then true); n when none."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def smallest(ops, holds):
    """The smallest failing window of one key's ops, whose whole history
    fails. holds(ops, initial) -> True | False | None (gave up: counted as
    holding, so every window returned is a proven failure)."""
    ends = sorted({op.complete for op in ops if op.complete is not None})
    fails_by = _first_true(len(ends), lambda i: holds(prefix(ops, ends[i]), kvmodel.ABSENT) is False)
    t = ends[min(fails_by, len(ends) - 1)]
    starts = sorted({op.invoke for op in ops if op.known and op.complete <= t}, reverse=True)
    found = _first_true(len(starts), lambda i: holds(cut(ops, starts[i], t), kvmodel.ANY) is False)
    if found == len(starts):
        return _window(ops, kvmodel.ABSENT, min(op.invoke for op in ops), t)
    return _window(ops, kvmodel.ANY, starts[found], t)


BAR = 40


def _bar(op, w, fill):
    """op's interval as a BAR-wide line across the window [start, end]."""
    span = max(w.end - w.start, 1e-9)

    def pos(x):
        return max(0, min(BAR - 1, int((x - w.start) / span * (BAR - 1))))
    a = pos(op.invoke)
    b = BAR - 1 if op.complete is None else pos(op.complete)
    return " " * a + fill * (b - a + 1) + " " * (BAR - 1 - b)


def describe(w, key):
    """The window as lines for people: how it starts, then each operation
    by invocation: its recorded interval (s, the history's clock; "?" for
    an unknown result), client and node, call, outcome, and a bar over the
    window ('=' checked as recorded; '~' ran across an edge, so taken as
    unknown). Unknown gets, which constrain nothing, are left out."""
    start = "from any earlier state" if w.initial is kvmodel.ANY else "from the initial state (absent)"
    shown = [op for op in w.ops if op.known or op.f != "get"]
    lines = [f"key {key}: not linearizable: no order of these {len(shown)} operations "
             f"gives their outputs, {start}:"]
    for op in sorted(shown, key=lambda op: w.recorded[id(op)].invoke):
        rec = w.recorded[id(op)]
        edge = rec is not op and rec.known
        end = "?" if rec.complete is None else f"{rec.complete:.3f}"
        who = f"c{rec.client}" + (f"@n{rec.node}" if rec.node is not None else "")
        outcome = history.describe_output(rec) + (" [edge: unknown]" if edge else "")
        lines.append(f"  {rec.invoke:9.3f} {end:>9}  {who:<8} {history.describe(rec):<32} "
                     f"{outcome:<34} |{_bar(rec, w, '~' if edge else '=')}|")
    return "\n".join(lines)
