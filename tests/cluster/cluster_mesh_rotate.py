#!/usr/bin/env python3
"""mesh-key-rotate: the cluster key is changed on running nodes
(aion_cluster.keys.rotate_key, what scripts/cluster/rotate-key runs) and
the run folder's key file with it. Three nodes boot with the key file
(fw_cfg file=); node 2 serves echo. Checks:
 - node 1 calls node 2's echo before and after the rotation;
 - every node logs the new key added, in use, the old one retired and,
   after its grace, dropped, and no packet is refused on the way (bad_mac
   does not rise on any node);
 - the key file holds the new key, mode 0600, and no node's log shows it;
 - node 3's VM is killed and started again: it boots with the key file's
   new key, rejoins and is seen alive, so the old key is gone for good;
 - a unit is refused the key: meshtest's key-deny on node 2 finds
   "admin.meshd" refused, MESHD_KEY on "mesh" refused (AION_EPERM both),
   and cannot register "admin.meshd" itself (AION_EPERM).
Usage: cluster_mesh_rotate.py ISO"""
import re
import shutil
import tempfile
import time
from pathlib import Path

from clusterlib import READY_TIMEOUT_S, ac, check, cluster, main, shell
from aion_cluster.keys import rotate_key


def stats(node):
    status, lines = shell(node, "mesh stats")
    check(status == 0, f"{node.name}: mesh stats: {lines}")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", " ".join(lines))}


def echo(node, text):
    status, lines = shell(node, f"call echo {text}")
    check(status == 0 and any(l.endswith(f": {text}") for l in lines),
          f"{node.name}: call echo {text}: {lines}")


def test(iso):
    run = Path(tempfile.mkdtemp(prefix="aion-mrot-", dir="/tmp"))
    try:
        key_file = ac.write_key_file(run / ac.KEY_FILE, ac.new_key())
        words = [["aion.meshtest=local-echo"], ["aion.meshtest=echo,key-deny"], []]
        with cluster(iso, words, key=f"@{key_file}", run_dir=run, wait_mesh=True) as nodes:
            n1, n2, n3 = nodes
            deny = n2.wait_for(r"meshtest: key-deny lookup=(\S+) call=(\S+) register=(\S+)", 60)
            print(deny.group(0))
            check(deny.groups() == ("AION_EPERM",) * 3, f"a unit got at the key: {deny.group(0)}")
            n2.wait_for(r"meshtest: echo ready", 60)
            echo(n1, "before")
            before = {n.name: stats(n)["bad_mac"] for n in nodes}
            new = ac.new_key()
            rotate_key(nodes, key_file, new, out=lambda l: print("rotate:", l))
            for n in nodes:
                for what in ("key added", "key in use", "key retired"):
                    check(re.search(rf"meshd: {what} id=\d+", n.text), f"{n.name}: no '{what}'")
            for n in nodes:     # the old key's grace ends; packets after it count too
                n.wait_for(r"meshd: key dropped id=\d+", 30)
            echo(n1, "after")
            after = {n.name: stats(n)["bad_mac"] for n in nodes}
            print(f"bad_mac before {before} after {after}")
            check(after == before, f"packets were refused during the rotation: {before} -> {after}")
            check(ac.read_key_file(key_file) == new, "the key file was not replaced")
            check(all(new.lower() not in n.text.lower() for n in nodes),
                  "the new key shows in a node's log")
            check(key_file.stat().st_mode & 0o777 == 0o600, "the key file is not 0600")

            n3.kill()
            n3.start(die_with_parent=True)
            ac.wait_all([n3], ac.READY_RE, READY_TIMEOUT_S)
            ac.wait_mesh(nodes, ac.MESH_TIMEOUT_S)
            print("node3 restarted with the new key and rejoined")
            s1 = stats(n1)
            check(s1["bad_mac"] == before["node1"], f"node 1 refused node 3's packets: {s1}")
            echo(n1, "again")
    finally:
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main(test)
