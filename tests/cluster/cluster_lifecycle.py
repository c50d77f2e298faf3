#!/usr/bin/env python3
"""cluster-lifecycle: the node lifecycle through the user's commands
(scripts/cluster/*, docs/host-scripts.md), on real VMs in a run folder of
its own. In order:
 - `up -n 3` (the built image; setup already done by scripts/test);
 - `spawn kv --replicas 2 --node 2,3,1`: primary on node 2, backup on 3,
   and a key written;
 - `kill 2` (the primary's VM): the backup on node 3 takes over and a new
   backup goes to node 1; then `start 2`: node 2 boots with the same
   identity and every node lists it alive (`exec --all nodes`);
 - the cluster uses it again: killing node 3 (now the primary) promotes
   node 1's backup and places the new backup on node 2, the only node
   left for it; the key is still there;
 - `add`: node 4 joins the same mesh, every node lists 4 nodes alive;
 - `stop 4`: the guest logs its shutdown and powers itself off (status
   says stopped); the others mark it dead;
 - `down`: no process of the run folder is left (checked in /proc).
Usage: cluster_lifecycle.py ISO"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from clusterlib import ac, check, main

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "cluster"
SETTLE_S = 60


class Cli:
    """The scripts/cluster commands on one run folder."""

    def __init__(self, run):
        self.run = run
        self.env = dict(os.environ, AION_RUN_DIR=str(run), AION_SETUP_DONE="1")

    def __call__(self, *args, ok=True, timeout=180):
        p = subprocess.run([str(SCRIPTS / args[0]), *args[1:]], env=self.env, text=True,
                           capture_output=True, timeout=timeout)
        if ok:
            check(p.returncode == 0, f"{' '.join(args)} failed ({p.returncode}): "
                                     f"{p.stdout}{p.stderr}")
        return p.stdout

    def status(self):
        return {n["name"]: n for n in json.loads(self("status", "--json"))["nodes"]}

    def kv_roles(self, node=1):
        """{node: role} of the kv job, from `jobs` on node."""
        out = self("exec", str(node), "jobs")
        m = re.search(r"^job=kv .* inst=(\S*)$", out, re.M)
        return {int(a): b for a, b in re.findall(r"(\d+):(\w+)", m.group(1))} if m else {}

    def wait_roles(self, want, timeout=SETTLE_S):
        deadline = time.monotonic() + timeout
        while True:
            roles = self.kv_roles()
            if roles == want:
                return
            if time.monotonic() >= deadline:
                raise ac.NodeError(f"kv never placed as {want}: last {roles}")
            time.sleep(0.5)

    def views(self):
        """{node name: {number: state}} from `exec --all nodes`."""
        out = {}
        for line in self("exec", "--all", "nodes").splitlines():
            name, _, rest = line.partition(": ")
            m = re.match(r"node=(\d+) .*state=(\w+)", rest)
            if m:
                out.setdefault(name, {})[int(m.group(1))] = m.group(2)
        return out

    def wait_views(self, want, timeout=SETTLE_S):
        """Until every running node's view has the states of want."""
        deadline = time.monotonic() + timeout
        while True:
            views = self.views()
            if views and all(all(v.get(k) == s for k, s in want.items())
                             for v in views.values()):
                return views
            if time.monotonic() >= deadline:
                raise ac.NodeError(f"views never had {want}: {views}")
            time.sleep(0.5)


def kv_value(cli, key):
    m = re.search(r"kv ok value=(\S+)", cli("exec", "1", f"kv get {key}"))
    return m.group(1) if m else None


def processes_of(run):
    """Pids of the processes whose command line names the run folder."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and str(run) in ac.pid_cmdline(int(d.name)):
            pids.append(int(d.name))
    return pids


def lifecycle(cli, iso):
    out = cli("up", "-n", "3", "--image", str(iso))
    print(next(ln for ln in out.splitlines() if "mesh: formed" in ln))
    cli("exec", "1", "spawn kv --replicas 2 --node 2,3,1")
    cli.wait_roles({2: "primary", 3: "backup"})
    check("kv ok" in cli("exec", "1", "kv put lifecycle survived"), "kv put failed")

    before = cli.status()["node2"]
    cli("kill", "2")
    cli.wait_roles({3: "primary", 1: "backup"})
    print("node 2 killed: kv primary on node 3, backup on node 1")
    out = cli("start", "2")
    print(out.strip().splitlines()[-5])
    after = cli.status()["node2"]
    check(after["state"] == "alive" and after["pid"] != before["pid"]
          and after["mac"] == before["mac"], f"node2 after start: {after}")
    cli.wait_views({1: "alive", 2: "alive", 3: "alive"})
    print("node 2 started again: every node lists it alive")

    cli("kill", "3")
    cli.wait_roles({1: "primary", 2: "backup"})
    check(kv_value(cli, "lifecycle") == "survived", "the key was lost")
    print("node 3 killed: kv primary on node 1, its new backup on the restarted node 2")
    cli("start", "3")

    out = cli("add")
    check(re.search(r"mesh: formed: 4 nodes", out), f"add: {out}")
    cli.wait_views({1: "alive", 2: "alive", 3: "alive", 4: "alive"})
    print("added node 4: every node lists 4 nodes alive")

    out = cli("stop", "4", timeout=120)
    print("\n".join(ln for ln in out.splitlines() if "shutdown" in ln or "stop:" in ln))
    check(re.search(r"node4\| .*init: shutdown", out), f"no shutdown lines from node 4: {out}")
    check(cli.status()["node4"]["state"] == "stopped", "node 4 is not stopped")
    cli.wait_views({4: "dead"})
    print("node 4 stopped: it logged its shutdown, the others mark it dead")

    cli("down")
    left = processes_of(cli.run)
    check(not left, f"still running after down: {left}")
    print("down: no process of the run folder left")


def test(iso):
    run = Path(tempfile.mkdtemp(prefix="aion-life-", dir="/tmp"))
    try:
        lifecycle(Cli(run), iso)
    finally:
        ac.stop_cluster(run)        # by pid, also on failure
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main(test)
