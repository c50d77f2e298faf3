"""Lost writes: acknowledged writes whose effect is missing from the final
state and from every later read (docs/nemesis.md "Definitions").

A write is acknowledged when its result is ok and it changed the key: a
put, a cas that applied, an add that answered a value. It is lost when the
key has a final read and every read that began after the write completed
(get answers and cas conflicts, which report the current value; the final
read included) saw a value older than the write:
- on a counter key (every write to it raises a number: add of n > 0, cas
  from a number, or from absent, to a larger one; no put), a value below
  the write's own, or absent;
- on any other key, absent, or a value that only writes which completed
  before the write began wrote or could have written (an add whose result
  is unknown could have written any number).
A write that was seen once and vanished later is not lost by this count:
lincheck finds that history not linearizable instead. Only what the
history proves counts: a write overwritten by a concurrent one is not."""
from history import OK
from kvmodel import parse_i64


def acknowledged(op):
    """Whether op is an acknowledged write (module comment)."""
    if op.result != OK or op.f == "get":
        return False
    return op.f == "put" or (op.f == "cas" and op.output.get("applied")) or \
        (op.f == "add" and "value" in op.output)


def written(op):
    """The value op writes if it takes effect; None when it cannot be told
    before it answers (an add without a known result)."""
    if op.f == "put":
        return op.args[0]
    if op.f == "cas":
        return op.args[1]
    return str(op.output["value"]) if acknowledged(op) else None


def _number(text):
    return None if text is None else parse_i64(text)[0]


def is_counter(writes):
    """Whether every write to a key raises a number (module comment)."""
    def raises(op):
        if op.f == "add":
            return op.args[0] > 0
        if op.f != "cas":
            return False
        old, new = _number(op.args[0] or "0"), _number(op.args[1])
        return None not in (old, new) and new > old
    return all(raises(op) for op in writes)


def reads(ops):
    """(invoke, value read) of each get answer and cas conflict."""
    out = []
    for op in ops:
        if op.result == OK and op.f == "get":
            out.append((op.invoke, op.output.get("value")))
        elif op.result == OK and op.f == "cas" and not op.output.get("applied"):
            out.append((op.invoke, op.output.get("current")))
    return out


def _older_counter(w, value):
    n = _number(value)
    return n is None or n < _number(written(w))


def _older_register(w, value, writes):
    if value is None:
        return True
    if value == written(w):
        return False
    for x in writes:
        if x is w or (x.complete is not None and x.complete < w.invoke):
            continue
        v = written(x)
        if v == value or (v is None and _number(value) is not None):
            return False
    return True


def lost_writes(ops, final):
    """The lost writes of a history (history.Op list); final: {key: the
    final read's op}. Keys without a final read are not judged."""
    keys = {}
    for op in ops:
        keys.setdefault(op.key, []).append(op)
    out = []
    for key, kops in sorted(keys.items()):
        if key in final:
            out += _lost_in_key(kops + [op for op in [final[key]] if op not in kops])
    return out


def _lost_in_key(ops):
    writes = [op for op in ops if op.f != "get"]
    counter = is_counter(writes)
    seen = reads(ops)
    out = []
    for w in filter(acknowledged, writes):
        later = [v for t, v in seen if t > w.complete]
        older = (lambda v: _older_counter(w, v)) if counter else \
            (lambda v: _older_register(w, v, writes))
        if later and all(older(v) for v in later):
            out.append(w)
    return out
