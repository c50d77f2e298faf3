#!/usr/bin/env python3
"""data-kills: the data file system survives VM kills (issue 18, Done when 1;
docs/storage.md "Recovery at mount").

One node of a cluster with its disk (ext4 from the host's mke2fs, as `up`
makes). Each round a busybox loop on its console writes files under
/data/w, each with `sync FILE` (fsync) and then a line with the file's md5
("fsynced FILE MD5 ."): a file whose line the host saw was on the disk
before the line was printed. After a random time (seeded) the VM is
killed (SIGKILL), the host's `e2fsck -fn` reports what the kill left, and
the node starts again: ext2d checks the file system (e2fsck on Aion) and
must mount it read-write; every file whose fsync completed, in any round,
must have its content (the guest's md5sum). After the last round an
orderly shutdown (the power button) must leave a file system the host's
`e2fsck -fn` finds clean, with every fsynced file's bytes (debugfs).
Usage: cluster_data_kill.py ISO [KILLS [SEED]]"""
import hashlib
import random
import re
import sys
import tempfile
from pathlib import Path

import clusterlib
from clusterlib import ac, check
from aion_cluster import datafs

KILLS = 20
SEED = 18
STEP_S = 90
FSYNCED_RE = re.compile(r"fsynced /data/w/(\S+) ([0-9a-f]{32}) \.$")
MOUNTED_RE = r"ext2d: mounted mode=(\w+)(?: why=(\S+))?"
# What the host's e2fsck -fn may report after a kill, by the design
# (docs/storage.md "Recovery at mount"): the file system not marked clean,
# bitmaps and counts the last sync did not write, inodes and entries of
# the unsynced work. A line naming anything else is a surprise.
PREDICTED = re.compile(
    r"^(Pass \d|e2fsck |aion-data: |Fix\? no|Clear\? no|Connect to /lost\+found\? no|"
    r"Block bitmap differences|Inode bitmap differences|Free blocks count wrong|"
    r"Free inodes count wrong|Directories count wrong|Padding at end of|"
    r"Inode \d+ ref count is \d+, should be \d+|Unattached inode \d+|"
    r"Unattached zero-length inode \d+|Inode \d+, i_(size|blocks) is \d+, should be \d+|"
    r"Entry '.*' in .* \(\d+\) has deleted/unused inode \d+|"
    r"Entry '.*' in .* \(\d+\) references inode \d+ found in group \d+'s unused inodes area|"
    r"Inode \d+ (was part of the orphaned inode list|has an invalid extent)|"
    r"Deleted inode \d+ has zero dtime|Inode \d+ extent tree .* could be (shorter|narrower)|"
    r"Restarting e2fsck|"
    r"\s*[-+(]|\s*$|WARNING: Filesystem still has errors|\*+ WARNING|"
    r"Group descriptor \d+ checksum|One or more block group descriptor checksums|"
    r"Inode bitmap for group|Block bitmap for group|"
    r"Setting free (inodes|blocks) count|\(i\.e\., without -a or -p options\))")


def content(i):
    """The bytes the loop writes into its i-th file of a round (`seq`)."""
    return "".join(f"{n}\n" for n in range(i, i * 37 + 301)).encode()


def writer(round_no):
    """The loop: a file fsynced and its line; between them unsynced work
    (a scratch file made, the one before it removed) that a kill catches
    half done."""
    return ("i=0; while :; do f=/data/w/r%d-$i; seq $i $((i*37+300)) > $f && sync $f && "
            "s=$(md5sum < $f) && echo \"fsynced $f ${s%%%% *} .\"; "
            "seq 1 $((i*90)) > /data/u-$i; rm -f /data/u-$((i-1)); i=$((i+1)); done"
            % round_no)


def sh(node, command):
    out = []
    status = ac.sh_exec(node, command, timeout=STEP_S, out=out.append)
    check(status == 0, f"`{command}` exited {status}: {out[-5:]}")
    return out


def boot_to_shell(node, round_no, reports):
    """Waits for the mount (rw, after ext2d's own check when one ran) and
    busybox's prompt; keeps the guest's e2fsck lines of the round."""
    m = node.wait_for(MOUNTED_RE, STEP_S)
    check(m.group(1) == "rw", f"round {round_no}: /data mounted {m.group(0)}")
    guest = [ln.split(" e2fsck: ", 1)[1] if " e2fsck: " in ln else ln.split(" ext2d: ", 1)[1]
             for ln in node.log_lines() if " e2fsck: " in ln or " ext2d: check ended" in ln]
    reports[round_no]["guest"] = [ln for ln in guest if ln]
    node.wait_for(r"serial: ready", STEP_S)
    check(ac.shell_exec(node, "sh", timeout=STEP_S, out=lambda _l: None) == 0, "`sh` failed")
    node.wait_for(r"serial: \$ ?\r?$", STEP_S)


def verify(node, fsynced, round_no):
    if not fsynced:
        return
    got = {}
    for line in sh(node, "cd /data/w && md5sum r*"):
        m = re.fullmatch(r"([0-9a-f]{32})\s+(\S+)", line)
        if m:
            got[m.group(2)] = m.group(1)
    lost = [f for f, md5 in fsynced.items() if got.get(f) != md5]
    check(not lost, f"round {round_no}: fsynced files lost or changed: "
          f"{[(f, fsynced[f], got.get(f)) for f in lost[:5]]} ({len(lost)} of {len(fsynced)})")
    print(f"round {round_no}: all {len(fsynced)} fsynced files read back")


def write_until_kill(node, rng, round_no, fsynced):
    seconds = rng.uniform(2.0, 6.0)
    lines = []
    try:
        ac.sh_exec(node, writer(round_no), timeout=seconds, out=lines.append)
        check(False, f"round {round_no}: the writer loop ended: {lines[-5:]}")
    except ac.NodeTimeout:
        pass
    node.kill()
    done = 0
    for line in lines:
        m = FSYNCED_RE.search(line)
        if not m:
            continue
        name, md5 = m.groups()
        i = int(name.split("-")[1])
        check(hashlib.md5(content(i)).hexdigest() == md5, f"{name}: the guest's md5 {md5} "
              "is not that of what the loop writes")
        fsynced[name] = md5
        done += 1
    check(done > 0 or round_no > 0, f"round {round_no}: no fsync completed in {seconds:.1f} s")
    return seconds, done


def host_after_kill(disk, report):
    clean, text = datafs.fsck(disk)
    report["host"] = text.splitlines()
    surprises = [ln for ln in report["host"] if not PREDICTED.match(ln)]
    check(not surprises, "the host's e2fsck -fn after a kill reports what the design "
          "does not predict:\n  " + "\n  ".join(surprises))
    return clean


def test(iso, kills, seed):
    rng = random.Random(seed)
    fsynced = {}
    reports = {r: {} for r in range(kills + 1)}
    with clusterlib.cluster(iso, [[]], prefix="aion-datakill-") as nodes:
        node = nodes[0]
        boot_to_shell(node, 0, reports)
        sh(node, "mkdir -p /data/w")
        for r in range(kills):
            seconds, done = write_until_kill(node, rng, r, fsynced)
            clean = host_after_kill(node.disk_file, reports[r + 1])
            print(f"round {r}: killed after {seconds:.1f} s, {done} fsyncs completed; "
                  f"host e2fsck -fn: {'clean' if clean else 'not clean'}")
            node.start(die_with_parent=True)
            boot_to_shell(node, r + 1, reports)
            verify(node, fsynced, r + 1)
        print(f"shutdown: {node.shutdown():.1f} s")
        check(re.search(r"init: service sync name=ext2d err=AION_OK", node.text),
              "the shutdown did not sync ext2d")
        clean, text = datafs.fsck(node.disk_file)
        print("host e2fsck -fn after the shutdown:", *text.splitlines(), sep="\n  ")
        check(clean, "the orderly stop left the file system not clean")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "f"
            for name, md5 in sorted(fsynced.items()):
                datafs.debugfs(node.disk_file, f"dump /w/{name} {out}")
                got = hashlib.md5(out.read_bytes()).hexdigest()
                check(got == md5, f"host: /w/{name} has md5 {got}, fsynced {md5}")
        print(f"host: {len(fsynced)} fsynced files dump their bytes")
    print("reports (host e2fsck -fn after each kill; the guest's check at the next boot):")
    for r in range(1, kills + 1):
        print(f"-- kill {r}: host:", *(f"   {ln}" for ln in reports[r].get("host", [])),
              "   guest:", *(f"   {ln}" for ln in reports[r].get("guest", [])), sep="\n")


if __name__ == "__main__":
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else KILLS
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else SEED
    clusterlib.main(lambda iso: test(iso, kills, seed))
