"""The history of kv operations that bench/nemesis records and lincheck.py
checks: one definition of the format (docs/nemesis.md "History").

A history is a JSON Lines file, one operation per line:

  {"id": 7, "client": 2, "node": 3, "f": "cas", "key": "r4",
   "args": ["x2-15", "x2-16"], "invoke": 12.345678, "complete": 12.351002,
   "result": "ok", "output": {"applied": false, "current": "x1-9"},
   "error": null, "errors": []}

- f and args: put [value]; get []; cas [expected, new] (expected "" means
  "must be absent"); add [n] (an integer).
- invoke, complete: seconds on one clock (the host's time.monotonic(),
  taken before the request is sent and after the answer is read), relative
  to the run's start. complete is null when the result is unknown.
- result: "ok" (the operation took effect, output tells how), "fail" (it
  certainly did not take effect: the checker drops it), "unknown" (it may
  have taken effect, at any time after invoke: no output).
- output (ok only): get {"value": V or null (absent)}; put {};
  cas {"applied": true} or {"applied": false, "current": V or null};
  add {"value": N} or {"error": "AION_EINVAL" | "AION_ERANGE"} (an add the
  store refused for the key's value: no effect, and the refusal itself is
  checked against the value).
- error: the final error of a fail or unknown operation; errors: every
  error its attempts met (the shell retries a write with the same seq).
"""
import dataclasses
import json

OK, FAIL, UNKNOWN = "ok", "fail", "unknown"
RESULTS = (OK, FAIL, UNKNOWN)
ARITY = {"get": 0, "put": 1, "cas": 2, "add": 1}


@dataclasses.dataclass(frozen=True)
class Op:
    f: str
    key: str
    args: tuple
    invoke: float
    complete: float = None
    result: str = OK
    output: dict = None
    id: int = 0
    client: object = None
    node: int = None
    error: str = None
    errors: tuple = ()

    @property
    def known(self):
        """Whether the output is known (the operation completed)."""
        return self.result == OK

    def is_write(self):
        return self.f != "get"

    def unknown(self):
        """This operation with its output forgotten: it may or may not have
        taken effect, any time after its invocation."""
        return dataclasses.replace(self, result=UNKNOWN, complete=None, output=None)


def check_op(op):
    """ValueError when op breaks the format above."""
    if op.f not in ARITY or len(op.args) != ARITY[op.f]:
        raise ValueError(f"op {op.id}: bad f/args {op.f} {list(op.args)}")
    if op.result not in RESULTS:
        raise ValueError(f"op {op.id}: bad result {op.result!r}")
    if op.result == OK and (op.complete is None or op.complete < op.invoke):
        raise ValueError(f"op {op.id}: an ok operation needs complete >= invoke")
    if op.result == OK and op.output is None:
        raise ValueError(f"op {op.id}: an ok operation needs an output")
    if op.f == "add" and not isinstance(op.args[0], int):
        raise ValueError(f"op {op.id}: add takes an integer")
    return op


def from_json(d):
    """An Op from one line's object (the unknown's complete is dropped)."""
    missing = [k for k in ("f", "key", "args", "invoke", "result") if k not in d]
    if missing:
        raise ValueError(f"op {d.get('id')}: no {', '.join(missing)}")
    op = Op(f=d["f"], key=d["key"], args=tuple(d["args"]), invoke=float(d["invoke"]),
            complete=None if d.get("complete") is None else float(d["complete"]),
            result=d["result"], output=d.get("output"), id=d.get("id", 0),
            client=d.get("client"), node=d.get("node"), error=d.get("error"),
            errors=tuple(d.get("errors", ())))
    if op.result == UNKNOWN:
        op = dataclasses.replace(op, complete=None, output=None)
    return check_op(op)


def to_json(op):
    d = dataclasses.asdict(op)
    d["args"], d["errors"] = list(op.args), list(op.errors)
    return json.dumps(d, separators=(",", ":"))


def load(path):
    """The operations of a JSONL history file, in file order."""
    with open(path) as f:
        return [from_json(json.loads(line)) for line in f if line.strip()]


def describe(op):
    """`cas r4 "x2-15" -> "x2-16"`: the call, for people."""
    a = op.args
    if op.f == "cas":
        return f'cas {op.key} {_text(a[0] or None)} -> "{a[1]}"'
    if op.f == "put":
        return f'put {op.key} "{a[0]}"'
    if op.f == "add":
        return f"add {op.key} {a[0]:+d}"
    return f"get {op.key}"


def describe_output(op):
    """`ok`, `= "x1-9"`, `conflict: current "x1-9"`, `unknown`..."""
    if op.result != OK:
        return op.result + (f" ({op.error})" if op.error else "")
    out = op.output
    if op.f == "get":
        return f"= {_text(out.get('value'))}"
    if op.f == "cas":
        return "ok" if out.get("applied") else f"conflict: current {_text(out.get('current'))}"
    if op.f == "add":
        return f"= {out['value']}" if "value" in out else f"error {out.get('error')}"
    return "ok"


def _text(value):
    return "absent" if value is None else f'"{value}"'
