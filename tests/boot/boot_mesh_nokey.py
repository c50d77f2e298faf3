#!/usr/bin/env python3
"""mesh-nokey: a node booted without a cluster key (no fw_cfg
opt/aion/cluster-key) stays out of the mesh and says why, once: meshd logs
one error line, never `meshd: ready`, is not started again by init (no
`setup failed`, no second start), and the shell's `mesh stats` finds no
mesh. A node given a key, booted the same way, is ready with it (the other
half of the check, so the test can fail).
Usage: boot_mesh_nokey.py ISO"""
import time

import bootlib
from bootlib import ac, check

WATCH_S = 8


def test(iso):
    with bootlib.booted(iso, cmdline_extra="aion.node=1", fw_cfg={}) as node:
        line = node.wait_for(r"meshd: error: no cluster key \(fw_cfg opt/aion/cluster-key\): "
                             r"this node stays out of the mesh", 30)
        print("without a key:", line.group(0))
        node.wait_for(r"shell: ready", 20)
        time.sleep(WATCH_S)     # long enough for init to start it again, if it did
        text = node.text
        check(text.count("meshd: error: no cluster key") == 1, "meshd said it more than once")
        check("meshd: ready" not in text, "meshd became ready without a key")
        check("meshd: setup failed" not in text and "name=meshd restarts=1" not in text,
              "meshd ended and was started again")
        lines = []
        status = ac.shell_exec(node, "mesh stats", timeout=20, out=lines.append)
        print("mesh stats:", status, *lines)
        check(status != 0, f"mesh stats answered without a mesh: {lines}")
    with bootlib.booted(iso, cmdline_extra="aion.node=1") as node:
        line = node.wait_for(r"meshd: cluster key from fw_cfg opt/aion/cluster-key "
                             r"\(32 bytes, id \d+\)", 30)
        print("with a key:", line.group(0))
        node.wait_for(r"meshd: ready node=1", 30)


if __name__ == "__main__":
    bootlib.main(test)
