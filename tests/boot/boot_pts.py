#!/usr/bin/env python3
"""posix-pts: the Open POSIX Test Suite on a node (issue 17, Done when 2;
docs/posix.md "The Open POSIX Test Suite"). Usage: boot_pts.py [--json]
ci|all PTS_DIR ISO. The ISO is aion-pts.iso (deploy/pts), whose initramfs
holds the suite's tests built with aion-cc in /pts and their runner
/bin/pts_run; aion.test=posixpts:ci|all makes utest start procd with
`run /bin/pts_run /pts /pts/ci.txt` (the interfaces interfaces.txt marks
`ci`: the suite's subset, a few minutes) or `/pts/index.txt` (all of
them: bench/pts). pts_run prints one `pts-result test=IFACE/TEST
verdict=V ms=N [why=...]` line a test and a `pts-summary` line. Every
test the index (PTS_DIR/ci.txt or index.txt) lists as `built` must have
run exactly once, the summary must count what the lines say, and at
least 90% of the counted tests must PASS: every test of every interface
except those that do not pass on Linux with musl either (the reference,
tests/posix/pts/reference.txt, made by bench/pts-host: the suite's or
musl's own failures); the rate over all the tests run is printed too.
Each test that did not pass is printed with its last lines, and the
figures per interface; --json: those figures as one JSON object on
stdout (bench/pts), the rest on stderr. With AION_PTS_LOG=FILE the
node's log is written there."""
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import bootlib
from bootlib import check, fields, line_at

# Host seconds for utest's verdict: utest waits 840 guest seconds for the
# CI subset and 1740 for all of them (init gives it 1800), and a guest's
# clock may run slower than the host's on a loaded host.
VERDICT_TIMEOUT_S = {"ci": 840, "all": 2400}
PASS_RATE_MIN = 0.90
VERDICTS = ("pass", "fail", "unresolved", "unsupported", "untested")
REFERENCE = Path(__file__).resolve().parent.parent / "posix" / "pts" / "reference.txt"


def reference(path=REFERENCE):
    """{test: verdict} on Linux with musl (bench/pts-host's lines)."""
    ref = {}
    for ln in path.read_text().splitlines():
        if ln.strip() and not ln.startswith("#"):
            test, verdict = ln.split()
            ref[test] = verdict
    return ref


def built_tests(index):
    tests = []
    for ln in Path(index).read_text().splitlines():
        parts = ln.split()
        if len(parts) == 2 and parts[1] == "built":
            tests.append(parts[0])
    return tests


def results(text):
    """{test: (verdict, ms, why, said)} from pts_run's lines, said: the
    log's last lines (the test's own) before its result; a test twice
    fails."""
    out, after = {}, 0
    for m in re.finditer(r"pts-result test=(\S+) verdict=(\w+) ms=(\d+)(?: why=(.*?))?\r?$",
                         text, re.MULTILINE):
        test = m.group(1)
        check(test not in out, f"{test} ran twice")
        said = [ln.strip() for ln in text[after:m.start()].splitlines() if ln.strip()][-4:-1]
        out[test] = (m.group(2), int(m.group(3)), m.group(4) or "", said)
        after = m.end()
    return out


def report(res):
    """Prints the figures per interface and each test that did not pass."""
    per = defaultdict(Counter)
    for test, (verdict, _, _, _) in res.items():
        per[test.split("/")[0]][verdict.lower()] += 1
    for iface in sorted(per):
        c = per[iface]
        print(f"pts-iface {iface} run={sum(c.values())} "
              + " ".join(f"{v}={c[v]}" for v in VERDICTS))
    for test in sorted(res):
        verdict, ms, why, said = res[test]
        if verdict != "PASS":
            print(f"not passed: {test} {verdict} ms={ms}" + (f" why={why}" if why else ""))
            for ln in said:
                print(f"    {bootlib.ac.plain(ln)}")


def figures(res):
    """{interface: {run, pass, ...}} and the totals, for --json."""
    per = defaultdict(Counter)
    for test, r in res.items():
        per[test.split("/")[0]][r[0].lower()] += 1
    total = Counter()
    for c in per.values():
        total.update(c)
    row = lambda c: {"run": sum(c.values()), **{v: c[v] for v in VERDICTS}}
    return {"interfaces": {i: row(per[i]) for i in sorted(per)}, "total": row(total)}


def node_mib(iso):
    """The node's memory: 384 MiB for the node and utest's 192 for the
    tests' processes, and three times the ISO's size for its initramfs
    (GRUB's copy and vfsd's two: services.c), rounded up to 128 MiB."""
    need = 384 + 3 * (os.path.getsize(iso) >> 20)
    return max(512, -(-need // 128) * 128)


def main(iso, mode, index, as_json):
    expected = built_tests(index)
    check(expected, f"{index} lists no built test")
    with bootlib.booted(iso, mem_mib=node_mib(iso), cmdline_extra=f"aion.test=posixpts:{mode}") as node:
        m = node.wait_for(r"utest: test posixpts (?P<word>ok|FAIL)\b.*", VERDICT_TIMEOUT_S[mode])
        log = os.environ.get("AION_PTS_LOG")
        if log:                 # bench/pts keeps the node's lines
            Path(log).write_text(node.text)
        print(line_at(node.text, m))
        text = node.text[:m.start()]
        res = results(text)
        summary = re.search(r"pts-summary .*", text)
        report(res)
        check(m.group("word") == "ok", f"utest's verdict: {line_at(node.text, m)}")
    check(summary is not None, "pts_run printed no summary")
    s = {k: int(v) for k, v in fields(summary.group(0)).items()}
    counts = Counter(r[0].lower() for r in res.values())
    check(s.get("run") == len(res) and all(s.get(v) == counts[v] for v in VERDICTS),
          f"summary {summary.group(0)} does not count the {len(res)} result lines")
    missing = sorted(set(expected) - set(res))
    extra = sorted(set(res) - set(expected))
    check(not missing and not extra, f"not run: {missing}; not in the index: {extra}")
    secs = sum(r[1] for r in res.values()) / 1000
    # Counted: all but the tests that fail on Linux with musl too (a test
    # the reference does not know yet counts).
    ref = reference()
    counted = {t: r for t, r in res.items() if ref.get(t, "PASS") == "PASS"}
    apart = {t: r for t, r in res.items() if t not in counted}
    check(counted, "no test run passes on the reference")
    passed = sum(r[0] == "PASS" for r in counted.values())
    rate = passed / len(counted)
    everything = sum(r[0] == "PASS" for r in res.values())
    print(f"pts: {passed} of the {len(counted)} that pass on Linux with musl pass "
          f"({100 * rate:.1f}%); {everything} of all {len(res)} run "
          f"({100 * everything / len(res):.1f}%); {secs:.0f} s of tests")
    print(f"pts: not counted, failing on Linux with musl too (reference.txt): "
          f"{len(apart)}, of which {sum(r[0] == 'PASS' for r in apart.values())} pass here")
    if as_json:
        out = figures(res)
        out["counted"] = figures(counted)["total"]
        out["not_on_linux"] = figures(apart)["total"]
        out["seconds_of_tests"] = round(secs)
        sys.__stdout__.write(json.dumps(out) + "\n")
    check(rate >= PASS_RATE_MIN, f"{100 * rate:.1f}% pass, below {100 * PASS_RATE_MIN:.0f}%")


if __name__ == "__main__":
    as_json = sys.argv[1:2] == ["--json"]
    if as_json:
        del sys.argv[1]
        sys.stdout = sys.stderr
    if len(sys.argv) != 4 or sys.argv[1] not in ("ci", "all"):
        sys.exit("usage: boot_pts.py [--json] ci|all PTS_DIR ISO")
    mode, pts_dir = sys.argv.pop(1), sys.argv.pop(1)
    index = Path(pts_dir) / ("ci.txt" if mode == "ci" else "index.txt")
    bootlib.main(lambda iso: main(iso, mode, index, as_json))
