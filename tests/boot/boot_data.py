#!/usr/bin/env python3
"""data-fs: the node disk's file system (docs/storage.md "The data file
system"). The disk's data region gets an ext4 file system from the host's
mke2fs with one file in it (as `up --data DIR` makes); the node boots as
every node does: ext2d mounts it read-write and vfsd's /data leads there.
Through busybox's shell on the console: the host's file is read; files and
directories are made, written (one of ~590 KB through a pipe), renamed,
linked, truncated and removed; an unknown name is ENOENT, a directory
that is not empty stays; `sync FILE` (fsync) is answered; md5sum gives the
guest's manifest; /proc/mounts, `df`, `umount /data` (refused while a file
is open) and `mount` again; the shell's `kill ext2d` makes init start a new ext2d,
and /data must lead to it. Then the VM is stopped and the host's tools judge the
disk: `e2fsck -fn` finds it clean, debugfs dumps the same bytes (the
manifest's hashes), and the removed names are gone.
With `fsck` (data-fsck, docs/storage.md "Recovery at mount"): the host
breaks the file system before the boot as no kill would (file b's extent
made to claim file a's blocks, the superblock marked not clean); ext2d's
e2fsck -p must stop (exit 4), e2fsck -y repair it (a's blocks cloned for
b), the file system be mounted read-write, at /disk (aion.data=disk), with
a's bytes intact, and the orderly
shutdown leave a file system the host's e2fsck -fn finds clean.
With `bench` (data-bench-smoke): /bin/diskbench, bench/disk's guest
program, with small sizes on /data: every MiB reads back with its index,
every figure is there and positive, and the host's e2fsck -fn finds the
file system clean after the shutdown.
With `stress` (data-stress, issue 18 Done when 2): /bin/fsstress makes
2,000 files in one directory (renamed, removed, truncated), a chain of
2,000 directories, a 110 MiB file cut short, syncs, and prints a
manifest of content hashes (FNV-1a 64) of every file it finds; after the
shutdown the host's e2fsck -fn must find the file system clean, and the
host's debugfs must dump every file with the same hash and size, list
the same names, and find the names the program's rules leave.
Usage: boot_data.py [fsck|bench|stress] ISO"""
import hashlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import bootlib
from bootlib import ac, check
from aion_cluster import datafs

STEP_TIMEOUT_S = 60
HOST_TEXT = "from the host\n"


def sh(node, command, want_status=0):
    """One busybox command line: its output lines (status checked)."""
    out = []
    try:
        status = ac.sh_exec(node, command, timeout=STEP_TIMEOUT_S, out=out.append)
    except (ac.NodeError, ac.NodeTimeout) as e:
        check(False, f"`{command}`: {e}")   # the log is printed with the failure
    print(f"$ {command}", *(f"  {l}" for l in out), f"  (status {status})", sep="\n")
    check(status == want_status, f"`{command}` exited {status}, want {want_status}: {out}")
    return out


def guest_work(node):
    """The guest's part: returns {path in the file system: md5}."""
    check(sh(node, "cat /data/hello.txt") == [HOST_TEXT.strip()],
          "the host's file did not read back")
    sh(node, "mkdir -p /data/d1/d2 && echo guest > /data/d1/d2/g.txt")
    check(sh(node, "cat /data/d1/d2/g.txt") == ["guest"], "g.txt")
    sh(node, "seq 1 100000 > /data/seq.txt && wc -c < /data/seq.txt")
    # 64 KiB reads and writes: the bulk calls (aion/vfs.h VFS_READ_BULK),
    # whose bytes must be the same as the payload's.
    sh(node, "dd if=/data/seq.txt of=/data/copy.txt bs=64k && "
             "[ \"$(md5sum < /data/seq.txt)\" = \"$(md5sum < /data/copy.txt)\" ] && rm /data/copy.txt")
    sh(node, "mv /data/seq.txt /data/d1/seq.txt && ln /data/d1/seq.txt /data/seq2.txt")
    sh(node, "echo 0123456789 > /data/t.txt && truncate -s 4 /data/t.txt")
    check(sh(node, "cat /data/t.txt; echo") == ["0123"], "truncate")
    sh(node, "rm /data/d1/d2/g.txt && rmdir /data/d1/d2")
    out = sh(node, "cat /data/none 2>&1; echo st=$?")
    check(out and out[-1] == "st=1" and "No such file" in out[0], f"cat of no file: {out}")
    out = sh(node, "rmdir /data/d1 2>&1; echo st=$?")
    check(out and out[-1] == "st=1" and "not empty" in out[0], f"rmdir of a full dir: {out}")
    check(sorted(sh(node, "ls -1 /data")) == ["d1", "hello.txt", "lost+found", "seq2.txt", "t.txt"],
          "ls -1 /data")
    sh(node, "sync /data/d1/seq.txt /data/t.txt")
    out = sh(node, "md5sum /data/hello.txt /data/d1/seq.txt /data/seq2.txt /data/t.txt")
    sums = {}
    for line in out:
        m = re.fullmatch(r"([0-9a-f]{32})\s+/data(/\S+)", line)
        check(m, f"md5sum line: {line!r}")
        sums[m.group(2)] = m.group(1)
    check(len(sums) == 4, f"md5sum: {out}")
    return sums


def mount_table(node):
    """/proc/mounts, df (statfs through vfsd to ext2d), umount and mount of
    /data from busybox (docs/fs.md "Mount table")."""
    mounts = sh(node, "cat /proc/mounts")
    check("aion-root / ramfs rw 0 0" in mounts and "aion-data /data ext4 rw 0 0" in mounts,
          f"/proc/mounts: {mounts}")
    out = sh(node, "df /data")
    m = re.fullmatch(r"aion-data\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+/data", out[-1].strip())
    check(m, f"df /data: {out}")
    size_k = (ac.DISK_MIB << 10) - datafs.data_offset() // 1024
    total, used, avail = (int(g) for g in m.groups())
    check(total == size_k and 0 < used < total and avail <= total - used,
          f"df /data: {total} {used} {avail}; the region is {size_k} KiB")
    out = sh(node, "df")
    check(any(ln.split()[-1:] == ["/"] for ln in out) and any(ln.split()[-1:] == ["/data"]
                                                              for ln in out), f"df: {out}")
    out = sh(node, "exec 3</data/hello.txt; umount /data 2>&1; echo st=$?; exec 3<&-")
    check(out[-1] == "st=1" and any("busy" in ln for ln in out),
          f"umount with a file open: {out}")
    sh(node, "umount /data")
    check(sh(node, "ls -a1 /data") == [".", ".."], "/data after umount is not empty")
    check(not any("/data" in ln for ln in sh(node, "cat /proc/mounts")),
          "/proc/mounts still lists /data")
    sh(node, "mount -t ext4 aion-data /data")
    check(sh(node, "cat /data/hello.txt") == [HOST_TEXT.strip()], "/data after mount")
    print(f"mount table: df /data {total} KiB, {used} used; umount busy, then "
          f"umount, empty, mount, back")


def restarted_server(node):
    """init restarts a killed ext2d; vfsd's /data must lead to the new one
    (it looks the server up at each redirect: the old root is dead)."""
    console = bootlib.ConsoleSocket(node)
    try:
        console.type(b"exit\r")                # busybox's shell ends
        # procd's own last line, not the kernel's `unit exit`: the kernel
        # holds back lines of a tree that logged a burst (unit_log_ok),
        # and the shell's commands just did, on a fast host within one
        # refill. procd has let go of the terminal by then.
        node.wait_for(r"procd: procd: done first=\d+ status=0x0 code=0", STEP_TIMEOUT_S)
    finally:
        console.close()                         # shell_exec needs the console
    pos = len(node.text)
    check(ac.shell_exec(node, "kill ext2d", timeout=STEP_TIMEOUT_S, out=print) == 0,
          "the shell's `kill ext2d` failed")
    node.wait_for(r"init: service start name=ext2d restarts=1", STEP_TIMEOUT_S, pos=pos)
    node.wait_for(r"ext2d: serving\b", STEP_TIMEOUT_S, pos=pos)
    check(ac.shell_exec(node, "sh", timeout=STEP_TIMEOUT_S, out=print) == 0,
          "the built-in shell's `sh` failed the second time")
    node.wait_for(r"serial: \$ ?\r?$", STEP_TIMEOUT_S, pos=pos)
    check(sh(node, "cat /data/hello.txt") == [HOST_TEXT.strip()],
          "/data after ext2d's restart")


def host_judges(disk, sums):
    """The host's e2fsprogs on the stopped node's disk."""
    clean, report = datafs.fsck(disk)
    print("e2fsck -fn:", *report.splitlines(), sep="\n  ")
    check(clean, "the host's e2fsck -fn does not find the file system clean")
    with tempfile.TemporaryDirectory() as tmp:
        for path, md5 in sums.items():
            out = Path(tmp) / "f"
            datafs.debugfs(disk, f"dump {path} {out}")
            got = hashlib.md5(out.read_bytes()).hexdigest()
            check(got == md5, f"{path}: the guest's md5 {md5}, the host's {got}")
    seq = sums["/d1/seq.txt"]
    check(seq == hashlib.md5("".join(f"{i}\n" for i in range(1, 100001)).encode()).hexdigest(),
          "seq.txt does not hold `seq 1 100000`")
    listing = datafs.debugfs(disk, "ls -l /d1")
    check("d2" not in listing and "seq.txt" in listing, f"debugfs ls -l /d1:\n{listing}")
    print(f"host: e2fsck clean; {len(sums)} files dump the guest's bytes; d2 is gone")


def test(iso):
    with tempfile.TemporaryDirectory() as pre:
        Path(pre, "hello.txt").write_text(HOST_TEXT)
        with bootlib.booted(iso, cmdline_extra="aion.node=1", disk_data=pre) as node:
            node.wait_for(r"ext2d: mounted mode=rw\b", STEP_TIMEOUT_S)
            node.wait_for(r"ext2d: serving\b", STEP_TIMEOUT_S)
            node.wait_for(r"shell: ready", STEP_TIMEOUT_S)
            node.wait_for(r"serial: ready", STEP_TIMEOUT_S)
            check(ac.shell_exec(node, "sh", timeout=STEP_TIMEOUT_S, out=print) == 0,
                  "the built-in shell's `sh` failed")
            node.wait_for(r"serial: \$ ?\r?$", STEP_TIMEOUT_S)    # busybox's first prompt
            sums = guest_work(node)
            mount_table(node)
            restarted_server(node)
            check("kernel: fault " not in node.text, "the kernel faulted")
            node.stop()
            host_judges(node.disk_file, sums)


def break_fs(disk):
    """b's first extent (i_block[5]: ee_start_lo after the 12-byte header
    and ee_block, ee_len) moved onto a's first block; the file system
    marked not clean, as after a kill."""
    m = re.search(r"^\s*\d+/\s*\d+\s+\d+/\s*\d+\s+\d+\s*-\s*\d+\s+(\d+)\s*-",
                  datafs.debugfs(disk, "ex /a"), re.M)
    check(m, "debugfs ex /a: no extent")
    datafs.debugfs(disk, f"sif /b block[5] {m.group(1)}", write=True)
    datafs.debugfs(disk, "ssv state 0", write=True)


def test_fsck(iso):
    a = bytes(range(256)) * 32
    with tempfile.TemporaryDirectory() as pre:
        Path(pre, "a").write_bytes(a)
        Path(pre, "b").write_bytes(b"b" * len(a))
        # The file system at /disk instead of /data (aion.data=disk).
        with bootlib.booted(iso, cmdline_extra="aion.node=1 aion.data=disk", disk_data=pre,
                            before_start=break_fs) as node:
            node.wait_for(r"ext2d: check ended option=-p exit=4 ", STEP_TIMEOUT_S)
            node.wait_for(r"ext2d: check ended option=-y exit=1 ", STEP_TIMEOUT_S)
            node.wait_for(r"ext2d: mounted mode=rw\b", STEP_TIMEOUT_S)
            print("the guest's check:", *(ln for ln in node.log_lines()
                                          if " e2fsck: " in ln or " ext2d: check" in ln),
                  sep="\n  ")
            check("e2fsck: aion-data: UNEXPECTED INCONSISTENCY" in node.text,
                  "e2fsck -p did not say why it stopped")
            check(re.search(r"e2fsck: .*[Mm]ultiply-claimed", node.text), "no multiply-claimed report")
            node.wait_for(r"serial: ready", STEP_TIMEOUT_S)
            check(ac.shell_exec(node, "sh", timeout=STEP_TIMEOUT_S, out=print) == 0,
                  "the built-in shell's `sh` failed")
            node.wait_for(r"serial: \$ ?\r?$", STEP_TIMEOUT_S)
            check("aion-data /disk ext4 rw 0 0" in sh(node, "cat /proc/mounts"),
                  "/proc/mounts does not list /disk")
            out = sh(node, "md5sum /disk/a /disk/b && echo new > /disk/c")
            check(out and out[0].split()[0] == hashlib.md5(a).hexdigest(),
                  f"a changed in the repair: {out}")
            print(f"shutdown: {node.shutdown():.1f} s")
            clean, report = datafs.fsck(node.disk_file)
            print("e2fsck -fn:", *report.splitlines(), sep="\n  ")
            check(clean, "the host's e2fsck -fn does not find the repaired file system clean")
            check(datafs.debugfs(node.disk_file, "cat /c") == "new\n", "c was not kept")


def test_bench(iso):
    with tempfile.TemporaryDirectory() as pre:
        with bootlib.booted(iso, cmdline_extra="aion.node=1", disk_data=pre) as node:
            node.wait_for(r"ext2d: mounted mode=rw\b", STEP_TIMEOUT_S)
            node.wait_for(r"serial: ready", STEP_TIMEOUT_S)
            check(ac.shell_exec(node, "sh", timeout=STEP_TIMEOUT_S, out=print) == 0,
                  "the built-in shell's `sh` failed")
            node.wait_for(r"serial: \$ ?\r?$", STEP_TIMEOUT_S)
            out = sh(node, "/bin/diskbench /data/bench 8 1 10")
            start = [i for i, ln in enumerate(out) if ln.startswith("diskbench: result ")]
            check(start, f"no result line: {out}")
            res = json.loads("".join(out[start[-1]:])[len("diskbench: result "):])
            check(res["seq_read_bad_MiB"] == 0 and res["seq_MiB"] == 8, f"result: {res}")
            for key in ("seq_write_MiB_s", "seq_read_MiB_s", "rand_read_iops",
                        "rand_write_iops", "fsync_us_median", "fsync_us_p99"):
                check(isinstance(res.get(key), (int, float)) and res[key] > 0,
                      f"{key} missing or not positive: {res}")
            print(f"shutdown: {node.shutdown():.1f} s")
            clean, report = datafs.fsck(node.disk_file)
            check(clean, f"the host's e2fsck -fn after diskbench:\n{report}")


STRESS_WIDE, STRESS_DEEP, STRESS_BIG_MIB = 2000, 2000, 110
MANIFEST_RE = re.compile(r"fsstress: M ([0-9a-f]{16}) (\d+) (\S+)$")


def fnv64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def stress_expected():
    """The manifest's names fsstress's rules leave (tests/posix/fsstress.c)."""
    names = set()
    for i in range(STRESS_WIDE):
        if i % 5 == 2:
            continue
        names.add(f"wide/{'r' if i % 4 == 1 else 'f'}{i:05d}")
    names |= {f"deep:{k}/f" for k in range(100, STRESS_DEEP + 1, 100)}
    names |= {f"deep:{STRESS_DEEP}/bottom", "big"}
    return names


def host_manifest(disk, labels, tmp):
    """{label: (hash, size)} through one debugfs run: dumps by cd-ing down
    the chain (no path of 2,000 levels)."""
    cmds, outs = [], {}
    for n, label in enumerate(sorted(labels)):
        out = Path(tmp) / f"m{n}"
        outs[label] = out
        if label.startswith("deep:"):
            level, name = label[5:].split("/", 1)
            cmds += ["cd /s/deep"] + ["cd d"] * int(level) + [f"dump {name} {out}"]
        else:
            cmds.append(f"dump /s/{label} {out}")
    script = Path(tmp) / "cmds"
    script.write_text("\n".join(cmds) + "\n")
    p = datafs.run(["debugfs", "-f", str(script), datafs.device(disk)], "debugfs -f")
    check(p.returncode == 0, f"debugfs -f: {p.stderr[-500:]}")
    got = {}
    for label, out in outs.items():
        check(out.exists(), f"host: debugfs did not dump {label}")
        data = out.read_bytes()
        got[label] = (f"{fnv64(data):016x}", len(data))
    return got


def test_stress(iso):
    with tempfile.TemporaryDirectory() as pre:
        with bootlib.booted(iso, cmdline_extra="aion.node=1", disk_data=pre,
                            disk_mib=STRESS_BIG_MIB + 160) as node:
            node.wait_for(r"ext2d: mounted mode=rw\b", STEP_TIMEOUT_S)
            node.wait_for(r"serial: ready", STEP_TIMEOUT_S)
            check(ac.shell_exec(node, "sh", timeout=STEP_TIMEOUT_S, out=print) == 0,
                  "the built-in shell's `sh` failed")
            node.wait_for(r"serial: \$ ?\r?$", STEP_TIMEOUT_S)
            lines = []
            t0 = time.monotonic()
            status = ac.sh_exec(node, f"/bin/fsstress /data/s {STRESS_WIDE} {STRESS_DEEP} "
                                f"{STRESS_BIG_MIB}", timeout=600, out=lines.append)
            print(f"fsstress: {time.monotonic() - t0:.1f} s, status {status}, "
                  f"{len(lines)} lines; last: {lines[-1:]}")
            check(status == 0, f"fsstress failed: {lines[-5:]}")
            guest = {}
            for ln in lines:
                m = MANIFEST_RE.search(ln)
                if m:
                    guest[m.group(3)] = (m.group(1), int(m.group(2)))
            check(set(guest) == stress_expected(),
                  f"the guest's manifest names: {sorted(set(guest) ^ stress_expected())[:10]}")
            check(guest["big"][1] == STRESS_BIG_MIB * 1024 * 1024 - 12345, f"big: {guest['big']}")
            print(f"shutdown: {node.shutdown():.1f} s")
            clean, report = datafs.fsck(node.disk_file)
            print("e2fsck -fn:", *report.splitlines(), sep="\n  ")
            check(clean, "the host's e2fsck -fn does not find the file system clean")
            listing = datafs.debugfs(node.disk_file, "ls -p /s/wide")
            host_wide = {f"wide/{ln.split('/')[5]}" for ln in listing.splitlines()
                         if ln.count("/") >= 6 and ln.split("/")[5] not in (".", "..")}
            check(host_wide == {n for n in guest if n.startswith("wide/")},
                  f"host: /s/wide lists {len(host_wide)} names")
            with tempfile.TemporaryDirectory() as tmp:
                host = host_manifest(node.disk_file, guest, tmp)
            bad = [(n, guest[n], host[n]) for n in guest if guest[n] != host[n]]
            check(not bad, f"host and guest manifests differ: {bad[:5]} ({len(bad)})")
            print(f"host: e2fsck clean; {len(host)} files, the guest's hashes and sizes")


if __name__ == "__main__":
    modes = {"fsck": test_fsck, "bench": test_bench, "stress": test_stress}
    if len(sys.argv) > 2 and sys.argv[1] in modes:
        bootlib.main(modes[sys.argv.pop(1)])
    else:
        bootlib.main(test)
