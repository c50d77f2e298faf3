"""The JSON object bench/nemesis prints (docs/nemesis.md "Output"), from
the history, the checker's results and what the run did."""
import collections

import history
import lincheck
import lost

LOST_SHOWN = 20


def counts(ops):
    """Operations by result, and acknowledged writes."""
    by = collections.Counter(op.result for op in ops)
    return {"operations": len(ops), "ok": by[history.OK], "failed": by[history.FAIL],
            "unknown": by[history.UNKNOWN],
            "acknowledged_writes": sum(lost.acknowledged(op) for op in ops)}


def _lost(ops, final):
    found = lost.lost_writes(ops, final)
    shown = [f"op {w.id} client {w.client}: {history.describe(w)} at {w.invoke:.3f}-"
             f"{w.complete:.3f}" for w in found[:LOST_SHOWN]]
    return {"lost": len(found), "lost_writes": shown}


def _checked(results):
    s = lincheck.summary(results)
    verdict = s["verdict"]
    return {"linearizable": {lincheck.LINEARIZABLE: True,
                             lincheck.NOT_LINEARIZABLE: False}.get(verdict),
            "lincheck": verdict, "not_linearizable_keys": s["not_linearizable"],
            "gave_up_keys": s["gave_up"], "max_states": s["max_states"]}


def _per_client(ops, workload_s):
    done = [op for op in ops if op.client != "final" and op.result != history.UNKNOWN]
    per = collections.Counter(op.client for op in ops if op.client != "final")
    return {"ops_per_s": round(len(done) / workload_s, 1) if workload_s else None,
            "per_client": {str(c): per[c] for c in sorted(per)},
            "host_timeouts": sum(op.error == "host: NodeTimeout" for op in ops)}


def summary(ops, final, results, run):
    """run: what the harness did (seed, nodes, clients, faults counts,
    durations, run folder, ...), copied in first."""
    out = dict(run)
    out.update(counts(ops))
    out.update(_lost(ops, final))
    out.update(_checked(results))
    out.update(_per_client(ops, run.get("workload_s")))
    return out


def failures(out):
    """Why a run fails, as short phrases; [] when it passes."""
    why = []
    if out["lost"]:
        why.append(f"{out['lost']} acknowledged writes lost")
    if out["linearizable"] is False:
        why.append(f"not linearizable: keys {', '.join(out['not_linearizable_keys'])}")
    if out["linearizable"] is None:
        why.append(f"lincheck gave up on keys {', '.join(out['gave_up_keys'])}")
    if out.get("faults_enabled") is False and (out["unknown"] or out["failed"]):
        why.append(f"{out['unknown']} unknown and {out['failed']} failed calls in a run "
                   f"without faults")
    if out.get("final_reads_missing"):
        why.append(f"no final read of {', '.join(out['final_reads_missing'])}")
    if out.get("client_errors"):
        why.append("; ".join(out["client_errors"]))
    return why
