#!/usr/bin/env python3
"""mesh-soak: references are reclaimed (docs/mesh.md "Remote calls",
"Reclamation"). Three nodes run `spawn kv --replicas 3` (every node holds an
instance) while capabilities travel back and forth: node 2 serves
"mailbox", nodes 1 and 3 run meshtest's cap-churn (every 50 ms: PUT a copy
of their own counter, a capability in a call; GET what the mailbox holds,
a capability in a reply, call it, close it), and node 2 also runs
kv-counter (calls on a named proxy to "kv") the whole time. (It ran on
node 3 after cap-churn until 2026-12-07: meshtest runs a node's client
roles one after the other and cap-churn:0 never ends, so it never
started and its check could not fail; now the soak also asks that it
made progress.)

Every SAMPLE_S seconds the host pauses the churners (kv key
"churn-pause" = 1; each logs `cap-churn paused` after finishing its round),
waits QUIET_S (meshd frees unheld imports every 500 ms and tells their
owners), reads every node's table sizes from `mesh refs` (exports,
holders, imports) and lets the churn go on. Which churner's counter the
mailbox holds at a pause is a race, and moves one export between nodes 1
and 3, so the sizes compared are the cluster's totals (per node they are
printed too). Pass: the totals at the end equal those after the first
minute, both churners made progress without errors, and kv-counter made
progress and lost or doubled no update. A node declared dead loses the unnamed references it
holds (docs/mesh.md); on a loaded host membership can declare a live node
dead for a moment, and a churn round then fails: churn errors are accepted
only when such a death was logged, and both are reported.

soak(iso, seconds, sample_s) is what bench/mesh-soak runs for 10 minutes;
this test runs it for SECONDS (about 90 s with boot and setup).
Usage: cluster_soak.py ISO"""
import re
import time

from clusterlib import ac, check, cluster, main, settle, shell

SECONDS = 75
SAMPLE_S = 15
FIRST_S = 60            # "after the first minute"
QUIET_S = 2.5           # two import scans and a release round trip
KEYS = ("exports", "holders", "imports", "named")
ROLES = {1: "cap-churn:0", 2: "mailbox,kv-counter:0", 3: "cap-churn:0"}
CHURN_RE = r"meshtest: cap-churn rounds=(\d+) errs=(\d+) first_err=(\S+)"


def sizes(node):
    status, lines = shell(node, "mesh refs", timeout=20)
    check(status == 0, f"{node.name}: mesh refs failed: {lines}")
    text = " ".join(lines)
    out = {}
    for key in KEYS:
        m = re.search(rf"\b{key}=(\d+)", text)
        check(m is not None, f"{node.name}: no {key}= in mesh refs: {lines}")
        out[key] = int(m.group(1))
    return out


def quiet_sizes(nodes, churners):
    """Per node, the table sizes with the churn paused, and their totals."""
    n1 = nodes[0]
    marks = {n.name: len(n.text) for n in churners}
    status, lines = shell(n1, "kv put churn-pause 1")
    check(status == 0, f"kv put churn-pause 1: {lines}")
    for n in churners:
        n.wait_for(r"meshtest: cap-churn paused", 30, pos=marks[n.name])
    time.sleep(QUIET_S)
    out = {n.name: sizes(n) for n in nodes}
    status, lines = shell(n1, "kv put churn-pause 0")
    check(status == 0, f"kv put churn-pause 0: {lines}")
    out["total"] = {k: sum(out[n.name][k] for n in nodes) for k in KEYS}
    return out


def soak(iso, seconds, sample_s, log=print):
    """Runs the soak; returns the result dict (see the module doc)."""
    words = [[f"aion.meshtest={ROLES[i]}"] for i in (1, 2, 3)]
    with cluster(iso, words, "aion-mesh-soak-", wait_mesh=True) as nodes:
        n1, n2, n3 = nodes
        settle(nodes, lambda t: True)
        status, lines = shell(n1, "spawn kv --replicas 3")
        check(status == 0, f"spawn kv: {lines}")
        for n in (n1, n3):
            n.wait_for(r"meshtest: cap-churn started", 120)
            n.wait_for(CHURN_RE, 120)
        n2.wait_for(r"meshtest: kv-counter started", 120)
        t0 = time.monotonic()
        samples = []
        first = None
        while True:
            elapsed = time.monotonic() - t0
            s = quiet_sizes(nodes, (n1, n3))
            samples.append({"t_s": round(elapsed), **s})
            log(f"t={elapsed:.0f}s " + " ".join(
                f"{name}:" + ",".join(f"{k}={v[k]}" for k in KEYS) for name, v in s.items()
                if name != "t_s"))
            if first is None and elapsed >= FIRST_S - sample_s / 2:
                first = samples[-1]
            if elapsed >= seconds:
                break
            time.sleep(max(0.0, sample_s - (time.monotonic() - t0 - elapsed)))
        churn = {}
        for n in (n1, n3):
            m = list(re.finditer(CHURN_RE, n.complete()))
            churn[n.name] = ({"rounds": int(m[-1].group(1)), "errs": int(m[-1].group(2)),
                              "first_err": m[-1].group(3)} if m else None)
        kv = re.findall(r"meshtest: kv-counter (lost|doubled) seq=\d+", n2.complete())
        deaths = [m.group(0) for n in nodes
                  for m in re.finditer(r"meshd: member node=\d+ state=dead .*", n.complete())]
        acked = re.findall(r"meshtest: kv-counter acked=(\d+)", n2.complete())
    first = first or samples[0]
    last = samples[-1]
    changed = {k: (first["total"][k], last["total"][k]) for k in KEYS
               if last["total"][k] != first["total"][k]}
    churn_ok = all(c and c["rounds"] > 0 and (c["errs"] == 0 or deaths)
                   for c in churn.values())
    return {
        "seconds": seconds, "sample_s": sample_s, "samples": samples,
        "first_minute": first, "end": last, "changed": changed, "churn": churn,
        "kv_violations": len(kv), "kv_acked_lines": len(acked), "deaths": deaths,
        "ok": not changed and churn_ok and not kv and bool(acked),
    }


def test(iso):
    r = soak(iso, SECONDS, SAMPLE_S)
    print(f"first minute: {r['first_minute']}\nend: {r['end']}\nchurn: {r['churn']} "
          f"kv acked lines: {r['kv_acked_lines']} kv violations: {r['kv_violations']}")
    check(all(c and c["rounds"] > 0 for c in r["churn"].values()),
          f"a churner made no progress: {r['churn']}")
    print(f"membership deaths (false, the host's load): {r['deaths']}")
    check(all(c["errs"] == 0 for c in r["churn"].values()) or r["deaths"],
          f"churn errors without any death: {r['churn']}")
    check(r["kv_acked_lines"] > 0, "kv-counter made no progress (no acked= line)")
    check(not r["kv_violations"], f"kv-counter lost or doubled updates: {r['kv_violations']}")
    check(not r["changed"], f"table totals changed after the first minute: {r['changed']}")


if __name__ == "__main__":
    main(test)
