"""The kv store's sequential specification for one key (include/aion/kv.h,
space/kv/store.c): a register that holds a value or nothing, with get, put,
cas and add. Every key is independent of the others, so a history is
checked key by key (lincheck.py).

A state is ABSENT (None), a value (str), or ANY: a state we do not know,
the start of a window cut out of a longer history (window.py). From ANY a
step accepts any output some concrete state could give and moves to the
state that output implies, or stays ANY when the output does not tell (an
add refused, an operation whose output is unknown). ANY stands for a set of
states that includes every concrete one, so a window with no linearization
from ANY has none from any concrete state either."""
ABSENT = None
INT64_MAX = (1 << 63) - 1
EINVAL, ERANGE = "AION_EINVAL", "AION_ERANGE"


class _Any:
    def __repr__(self):
        return "ANY"


ANY = _Any()
# What step() returns when the recorded output cannot happen in that state
# (ABSENT is None, so None cannot say it).
ILLEGAL = _Any()


def parse_i64(text):
    """The store's reading of a value as a decimal int64 (store.c
    parse_i64): (number, None) or (None, EINVAL | ERANGE)."""
    neg = text.startswith("-")
    limit = INT64_MAX + 1 if neg else INT64_MAX
    digits = text[1:] if neg else text
    if not digits:
        return None, EINVAL
    v = 0
    for c in digits:
        if not "0" <= c <= "9":
            return None, EINVAL
        v = v * 10 + ord(c) - 48
        if v > limit:
            return None, ERANGE
    return (-v if neg else v), None


def add_result(state, n):
    """ADD n on a concrete state: (new value as text, None) or (None, error)."""
    v, err = (0, None) if state is ABSENT else parse_i64(state)
    if err:
        return None, err
    total = v + n
    if not -INT64_MAX - 1 <= total <= INT64_MAX:
        return None, ERANGE
    return str(total), None


def _get(state, op):
    if not op.known:
        return state
    want = op.output.get("value")
    return want if state is ANY or state == want else ILLEGAL


def _put(state, op):
    return op.args[0]


def _cas(state, op):
    expected = op.args[0] or ABSENT
    if not op.known:
        if state is ANY:
            return ANY
        return op.args[1] if state == expected else state
    if op.output.get("applied"):
        return op.args[1] if state is ANY or state == expected else ILLEGAL
    current = op.output.get("current")
    if current == expected:
        return ILLEGAL
    return current if state is ANY or state == current else ILLEGAL


def _add(state, op):
    if state is ANY:
        if op.known and "value" in op.output:
            return str(op.output["value"])
        return ANY
    new, err = add_result(state, op.args[0])
    if not op.known:
        return state if err else new
    if "value" in op.output:
        return new if new == str(op.output["value"]) else ILLEGAL
    return state if err == op.output.get("error") else ILLEGAL


_STEPS = {"get": _get, "put": _put, "cas": _cas, "add": _add}


def step(state, op):
    """The state after op from state, or ILLEGAL when op's recorded output
    cannot happen there. An op whose output is unknown (op.known False)
    only has its effect: a put always writes, a cas writes when the value
    matched, an add adds when it can."""
    return _STEPS[op.f](state, op)


def stepper(op):
    """step() bound to op, for the search's inner loop."""
    fn = _STEPS[op.f]
    return lambda state: fn(state, op)


def observed(ops):
    """What the known outputs of a key's ops may have read: (values, numbers,
    any_number, any_text). A written value v may have been read by some op
    iff v is in values, or v is a decimal int64 and (its number is in
    numbers or any_number), or v is no number and any_text. Unknown cas ops
    count as readers of their expected value and unknown adds of every
    number: whether they took effect depends on the value they met."""
    values, numbers, any_number, any_text = set(), set(), False, False
    for op in ops:
        if op.f == "cas":
            values.add(op.args[0] or ABSENT)
            if op.known and not op.output.get("applied"):
                values.add(op.output.get("current"))
        elif op.f == "get" and op.known:
            values.add(op.output.get("value"))
        elif op.f == "add" and not (op.known and "value" in op.output):
            any_number = True       # an unknown add, or a refusal (ERANGE)
            any_text = any_text or (op.known and op.output.get("error") == EINVAL)
        elif op.f == "add":
            numbers.add(op.output["value"] - op.args[0])
    return values, numbers, any_number, any_text


def may_be_read(value, seen):
    """Whether value is among what observed() says may have been read."""
    values, numbers, any_number, any_text = seen
    if value in values:
        return True
    n, err = parse_i64(value)
    return any_text if err == EINVAL else (any_number or n in numbers or err is not None)

