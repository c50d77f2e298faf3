"""The lines of tests/posix/posixbench.c as the node logs them, read by
bench/posix and by the boot test posix-bench-smoke (tests/boot/
boot_units.py): one parser and one sanity check, so the test checks what
the bench reports."""
import re

# The figures posixbench prints, in its order; each `fig` line carries
# iters and median/p99/min/max/mean in ns (peerbench's definitions:
# median the lower middle sample, p99 the nearest rank).
FIGURES = ("null_syscall", "null_local", "open_read_close", "pipe", "fork_exec_wait",
           "fork_exec_wait_busybox_true", "fork_wait", "spawn_wait")
STATS = ("median_ns", "p99_ns", "min_ns", "max_ns", "mean_ns")
# The warm-ups posixbench runs before each timed loop (shortened to the
# timed count when that is smaller).
WARMUP = {"pipe": 1000, "open_read_close": 1000}
MSG_BYTES = 64
FILE_BYTES = 4096
# Each line as the node's log shows it: the unit's name, then the line.
LINE_RE = r"\bposixbench: posixbench: (start|fig|file|pipe|done|FAIL)\b ?(.*?)\r?$"


def values(rest):
    """{key: int or str} of a line's key=value words."""
    return {k: int(v) if v.lstrip("-").isdigit() else v
            for k, v in re.findall(r"(\w+)=(\S+)", rest)}


def parse(text):
    """{"start", "file", "pipe", "done": {...}, "figs": {name: {...}},
    "fail": [lines]} from a serial log."""
    out = {"figs": {}, "fail": []}
    for kind, rest in re.findall(LINE_RE, text, re.MULTILINE):
        if kind == "fig":
            name = rest.split(" ", 1)[0]
            out["figs"][name] = values(rest)
        elif kind == "FAIL":
            out["fail"].append(rest)
        else:
            out[kind] = values(rest)
    return out


def problems(res, counts):
    """What is wrong with a parsed run of `posixbench SYSCALL FILE PIPE
    PROC` (counts, a 4-tuple): a failure line, a figure missing, counts
    not the ones asked for, a figure not positive or its statistics out of
    order, bytes not moved as they should, a child that failed. [] when
    the run is whole."""
    bad = [f"posixbench failed: {f}" for f in res["fail"]]
    sc, fi, pi, pr = counts
    want_iters = {"null_syscall": sc, "null_local": sc, "open_read_close": fi, "pipe": pi}
    for name in FIGURES:
        f = res["figs"].get(name)
        if f is None:
            bad.append(f"no figure {name}")
            continue
        if f.get("iters") != want_iters.get(name, pr):
            bad.append(f"{name}: iters={f.get('iters')}, asked for {want_iters.get(name, pr)}")
        if any(not isinstance(f.get(k), int) for k in STATS):
            bad.append(f"{name}: lacks one of {STATS}: {f}")
            continue
        if f["min_ns"] <= 0:
            bad.append(f"{name}: min_ns={f['min_ns']} is not positive")
        if not f["min_ns"] <= f["median_ns"] <= f["p99_ns"] <= f["max_ns"] \
                or not f["min_ns"] <= f["mean_ns"] <= f["max_ns"]:
            bad.append(f"{name}: statistics out of order {f}")
    for key in ("start", "file", "pipe", "done"):
        if key not in res:
            bad.append(f"no `{key}` line")
    if "file" in res:
        reads = min(WARMUP["open_read_close"], fi) + fi
        if res["file"].get("bytes_read") != reads * FILE_BYTES:
            bad.append(f"file: bytes_read={res['file'].get('bytes_read')}, "
                       f"want {reads} x {FILE_BYTES}")
    if "pipe" in res:
        trips = min(WARMUP["pipe"], pi) + pi
        p = res["pipe"]
        if p.get("round_trips") != trips or p.get("bytes_echoed") != trips * MSG_BYTES \
                or p.get("msg_bytes") != MSG_BYTES or p.get("child_exit") != 0:
            bad.append(f"pipe: {p}, want {trips} round trips of {MSG_BYTES} bytes echoed "
                       f"and checked by the child (child_exit=0)")
    if "done" in res and res["done"].get("children_failed") != 0:
        bad.append(f"done: children_failed={res['done'].get('children_failed')}")
    return bad
