"""The shell's kv command as the nemesis clients use it
(space/console/kvcmd.c, docs/kv.md "Clients"): the command line of a call,
and what its output says about the call's effect, as a result of the
history (tests/lincheck/history.py): ok with an output, fail (certainly
not applied) or unknown (may have been applied)."""
import re

from history import FAIL, OK, UNKNOWN

# Errors after which a write certainly did not take effect: the store or
# the mesh says the call did not run (docs/kv.md: EAGAIN "not applied",
# ENOSPC; docs/mesh.md: EHOSTDOWN "the call was not sent", EBUSY "too many
# calls in flight"). Any other error (EINDOUBT, ETIMEDOUT, ...) leaves a
# write unknown, also when a later retry of the same seq met only these.
# EDEAD is not here: one a shell met during a partition is not explained
# yet (docs/nemesis.md "A history recorded wrong"), so it proves nothing.
NOT_APPLIED = frozenset({"AION_EAGAIN", "AION_EHOSTDOWN", "AION_EBUSY", "AION_ENOSPC"})

_RETRY_RE = re.compile(r"^kv retry seq=\d+ err=(AION_\w+)")
_OK_RE = re.compile(r"^kv ok value=(.*)$")
_ERROR_RE = re.compile(r"^error: (AION_\w+)(?: current=(.*))?$")
_LOOKUP_RE = re.compile(r"^error: kv: lookup: (AION_\w+)")


def command(f, key, args):
    """The shell line of a call: `kv cas K "" NEW` for an absent expected."""
    words = ["kv", f, key] + [str(a) if a != "" else '""' for a in args]
    return " ".join(words)


def _ok_output(f, value):
    if f == "get":
        return {"value": value}
    if f == "add":
        return {"value": int(value)}
    return {"applied": True} if f == "cas" else {}


def _answered(f, error, current):
    """The output of an error answer that is a definite outcome, or None."""
    if f == "cas" and error == "AION_ECONFLICT":
        return {"applied": False, "current": None if current == "(absent)" else current}
    if f == "get" and error == "AION_ENOENT":
        return {"value": None}
    if f == "add" and error in ("AION_EINVAL", "AION_ERANGE"):
        return {"error": error}
    return None


def outcome(f, lines):
    """(result, output, error, errors) of a call from its output lines.
    errors: every error its attempts met (retries, then the last)."""
    errors = [m.group(1) for m in map(_RETRY_RE.match, lines) if m]
    for line in lines:
        m = _OK_RE.match(line)
        if m:
            return OK, _ok_output(f, m.group(1)), None, errors
        m = _LOOKUP_RE.match(line)
        if m:       # this lookup sent nothing, but an earlier attempt may have run
            if not errors:
                return FAIL, None, m.group(1), [m.group(1)]
            return _failed(f, m.group(1), errors + [m.group(1)])
        m = _ERROR_RE.match(line)
        if m:
            out = _answered(f, m.group(1), m.group(2))
            if out is not None:
                return OK, out, None, errors
            return _failed(f, m.group(1), errors + [m.group(1)])
        if line.startswith("error: usage"):
            raise ValueError(f"the shell refused the kv command: {line}")
    return _failed(f, "no answer", errors + ["no answer"])


def _failed(f, error, errors):
    if f == "get" or (errors and set(errors) <= NOT_APPLIED):
        return FAIL, None, error, errors
    return UNKNOWN, None, error, errors
