#!/usr/bin/env python3
"""blk-protocol, blk-reboot: the node's disk (docs/storage.md) through the
virtio-blk driver, from blktest inside the guest (space/blktest/) and from
the host, which reads the same disk image.

protocol: one boot with aion.blktest=check:SEED. blktest's results are
checked again here from their values: a pattern written, flushed and read
back; reads and writes past region A refused with AION_ERANGE, region B
next to it and A's own last blocks unchanged; the read-only capability
refused with AION_ERIGHTS; bad buffers refused; a capability whose badge
names no region refused with AION_EPERM and no region capability in the
name service. Then from the host: the image holds A's pattern at A's
absolute blocks, B's next to it, and nothing outside them (the reserved
first MiB and the rest of "data" are still zero); and every unit's
capabilities (the shell's `caps`) show region badges only in meshd (its
"mesh" region, read-write) and blktest.

reboot (with aion.diskpoll: the driver polls, as on a node whose disk
shares a NIC's IRQ line): aion.blktest=write:SEED fills region A and
flushes. QEMU's own
counters (QMP query-blockstats) must show exactly those two 64 KiB writes
and one flush: a driver that answered BLK_FLUSH without asking the device
fails here. The VM is then killed (SIGKILL, the plug pulled) and booted
again on the same image with aion.blktest=verify:SEED, which must read the
pattern back.

restart: blktest reads region A again and again while the shell kills
the driver (`kill virtio-blk`); init starts it again on the endpoint it
kept, so blktest's capabilities still work: its client attaches its
buffer again (ENOTCONN), and no read fails or differs meanwhile.

noflush: a device that offers no flush (QEMU writethrough, config-wce=off):
the driver says at start that writes cannot be made durable, and blktest
(aion.blktest=noflush:SEED) sees a write work, BLK_FLUSH answer AION_EIO
and BLK_INFO without BLK_INFO_FLUSH.

errors (polling too): QEMU's blkdebug fails every read of one sector; blktest reads it
through its "data" capability (aion.blktest=eio:BLOCK): AION_EIO for that
block, alone or within a longer read, and through the client, while the
block after it still reads; the driver logs the error by name.
Usage: boot_disk.py protocol|reboot|restart|noflush|errors ISO"""
import random
import re
import sys

import bootlib
from bootlib import ac, check, fields, line_at

BLK = ac.datafs.SECTOR
LAYOUT = ac.datafs.blk_layout()         # include/aion/blk.h's, read from it
RESERVED_BLOCKS = LAYOUT["BLK_RESERVED_BLOCKS"]
MESH_FIRST, MESH_BLOCKS = LAYOUT["BLK_MESH_FIRST"], LAYOUT["BLK_MESH_BLOCKS"]
DATA_FIRST = LAYOUT["BLK_DATA_FIRST"]
REGION_BLOCKS = 256                     # blktest's A and B (space/init/disk.c)
DISK_BLOCKS = (ac.DISK_MIB << 20) // BLK
BADGE_REGION, BADGE_WRITE = 1 << 63, 1 << 62
COUNT_REST = (1 << 31) - 1              # BLK_COUNT_REST: "data" runs to the disk's end
DONE_TIMEOUT_S = 90
# The kernel stopped, or blktest or the driver faulted: no verdict will come.
NO_VERDICT_RE = r"kernel: (?:fault |halted\b)|kernel: unit fault unit=(?:blktest|virtio-blk)\b"


def pattern(seed, block):
    """Block `block` of blktest's pattern `seed` (blktest.h: blkt_pattern)."""
    data = bytearray((block * 7 + i + seed) & 0xff for i in range(BLK))
    head = f"AION blktest seed={seed} block={block}\n".encode()
    data[:len(head)] = head
    return bytes(data)


def region_badge(first, count, writable):
    """aion/blk.h's blk_badge()."""
    return BADGE_REGION | (BADGE_WRITE if writable else 0) | count << 31 | first


def blktest_results(node, pos=0):
    """{test: (ok, {key: value}, line)} of blktest's lines up to its `done`."""
    done = node.wait_for(rf"(?:{NO_VERDICT_RE})|blktest: done passed=\d+ failed=\d+", DONE_TIMEOUT_S,
                         pos=pos)
    check("blktest: done" in done.group(0), f"`{line_at(node.text, done)}` before blktest's end")
    text = node.complete()[pos:done.end()]
    results = {}
    for m in re.finditer(r"blktest: test (\S+) (ok|FAIL)\b.*", text):
        line = ac.plain(m.group(0)).strip()
        print(line)
        results[m.group(1)] = (m.group(2) == "ok", fields(line), line)
    return results


def expect(results, test, **want):
    check(test in results, f"blktest printed no result for {test}")
    ok, values, line = results[test]
    for key, value in want.items():
        check(values.get(key) == str(value), f"{test}: {key}={values.get(key)}, expected {value}: {line}")
    check(ok, f"blktest's verdict on {test} is FAIL: {line}")
    return values


def disk_stats(node):
    """QEMU's counters of the node's disk (QMP query-blockstats, drive disk0)."""
    for dev in node.qmp("query-blockstats"):
        if dev.get("device") == "disk0":
            s = dev["stats"]
            return {k: s[k] for k in ("rd_operations", "wr_operations", "flush_operations",
                                      "rd_bytes", "wr_bytes")}
    raise bootlib.TestFailure("QEMU reports no drive disk0")


def check_driver(node, polling=False, flush="yes"):
    """The driver's ready line: the whole disk, a flush (or not), and an
    interrupt line or (aion.diskpoll) none."""
    ready = node.wait_for(r"virtio-blk: ready blocks=\d+ .*", 30)
    line = line_at(node.text, ready)
    print(line)
    v = fields(line)
    check(v.get("blocks") == str(DISK_BLOCKS) and v.get("flush") == flush,
          f"the driver should see {DISK_BLOCKS} blocks and flush={flush}: {line}")
    check((v.get("irq") == "polling") == polling,
          f"the driver should {'poll' if polling else 'use its interrupt'}: {line}")


def check_results(results, seed):
    info = expect(results, "info", a_first=DATA_FIRST, a_blocks=REGION_BLOCKS,
                  b_first=DATA_FIRST + REGION_BLOCKS, a_flags="0x3", ro_flags="0x2",
                  data_blocks=DISK_BLOCKS - DATA_FIRST, flush="yes")
    print(f"info: region A at block {info['a_first']}, B at {info['b_first']}, "
          f"\"data\" {info['data_blocks']} blocks to the disk's end")
    expect(results, "pattern", write="AION_OK", flush="AION_OK", read="AION_OK",
           mismatched=0, offset_read="AION_OK/same")
    expect(results, "range", past="AION_ERANGE", straddle="AION_ERANGE",
           read_past="AION_ERANGE", far="AION_ERANGE", wrap="AION_ERANGE",
           count0="AION_EINVAL", count129="AION_EINVAL", offset100="AION_EINVAL",
           past_buffer="AION_EINVAL", neighbour_changed=0, own_changed=0)
    expect(results, "readonly", read="AION_OK", same_as_rw="yes", write="AION_ERIGHTS",
           client_write="AION_ERIGHTS", changed=0)
    expect(results, "attach-errors", no_cap="AION_EINVAL", notification="AION_ETYPE",
           one_page="AION_ERANGE", no_phys="AION_ERIGHTS", old_buffer_read="AION_OK")
    names = expect(results, "no-region", info="AION_EPERM", read="AION_EPERM",
                   write="AION_EPERM", flush="AION_EPERM", attach="AION_EPERM",
                   region_caps_in_names=0)
    check(int(names["names"]) >= 3, f"the name service listed {names['names']} names, not "
          f"yet shell, net and mesh: too little was looked at")
    fig = expect(results, "figures", err="AION_OK")
    print(f"figures (median of {fig['rounds']}): 64 KiB write {fig['write64k_us']} us, "
          f"64 KiB read {fig['read64k_us']} us, 512 B write {fig['write512_us']} us, "
          f"flush {fig['flush_us']} us")
    expect(results, "persist-write", seed=seed, first=DATA_FIRST, write="AION_OK",
           flush="AION_OK")


def check_image(path, seed):
    """What the host finds in the image: A's and B's patterns where they
    belong, zeros in the reserved MiB and in "data" after B."""
    with open(path, "rb") as f:
        image = f.read()
    check(len(image) == DISK_BLOCKS * BLK, f"the image has {len(image)} bytes")
    blocks = lambda first, n: [image[(first + b) * BLK:(first + b + 1) * BLK] for b in range(n)]
    a = blocks(DATA_FIRST, REGION_BLOCKS)
    b = blocks(DATA_FIRST + REGION_BLOCKS, REGION_BLOCKS)
    bad_a = [k for k in range(REGION_BLOCKS) if a[k] != pattern(seed, k)]
    bad_b = [k for k in range(REGION_BLOCKS) if b[k] != pattern(seed ^ 0xb, k)]
    check(not bad_a and not bad_b, f"blocks not where blktest put them: A {bad_a[:5]}, "
          f"B {bad_b[:5]} (of {REGION_BLOCKS} each)")
    check(image[:RESERVED_BLOCKS * BLK].count(0) == RESERVED_BLOCKS * BLK,
          "the reserved first MiB was written")
    rest = image[(DATA_FIRST + 2 * REGION_BLOCKS) * BLK:]
    check(rest.count(0) == len(rest), "\"data\" after region B was written")
    print(f"image: A and B hold their patterns at blocks {DATA_FIRST}.."
          f"{DATA_FIRST + 2 * REGION_BLOCKS - 1}; the reserved MiB and the rest of data are zero")


def check_caps(node):
    """Region badges (bit 63) only where init's manifest gives them."""
    node.wait_for(r"shell: ready", 30)
    lines = []
    check(ac.shell_exec(node, "ps", out=lines.append) == 0, f"ps failed: {lines}")
    units = [l.split()[1] for l in lines if re.match(r"\d+ \S+ ", l)]
    holders = {}
    for unit in units:
        out = []
        ac.shell_exec(node, f"caps {unit}", out=out.append)
        badges = [int(m, 16) for l in out for m in re.findall(r"badge=(0x[0-9a-f]+)", l)]
        regions = [b for b in badges if b & BADGE_REGION]
        if regions:
            holders[unit] = regions
    print("units holding region capabilities:",
          {u: [hex(b) for b in r] for u, r in holders.items()}, "of", units)
    check(set(holders) == {"meshd", "blktest", "ext2d"},
          f"region capabilities held by {sorted(holders)}")
    mesh = region_badge(MESH_FIRST, MESH_BLOCKS, True)
    check(holders["meshd"] == [mesh], f"meshd's region badges {holders['meshd']}, "
          f"expected only the mesh region {hex(mesh)}")
    # The data file system's server: "data" to the disk's end, read-write.
    data = region_badge(DATA_FIRST, COUNT_REST, True)
    check(holders["ext2d"] == [data], f"ext2d's region badges {holders['ext2d']}, "
          f"expected only the data region {hex(data)}")


def test_protocol(iso):
    seed = random.randrange(1, 1 << 31)
    with bootlib.booted(iso, cmdline_extra=f"aion.node=1 aion.blktest=check:{seed}") as node:
        check_driver(node)
        results = blktest_results(node)
        check_results(results, seed)
        check_image(node.disk_file, seed)
        stats = disk_stats(node)
        print(f"QEMU's counters for the disk: {stats}")
        rounds = int(results["figures"][1]["rounds"])
        check(stats["flush_operations"] >= rounds,
              f"the device saw {stats['flush_operations']} flushes, fewer than the "
              f"{rounds} blktest timed")
        check_caps(node)


def test_reboot(iso):
    seed = random.randrange(1, 1 << 31)
    with bootlib.booted(iso, cmdline_extra=f"aion.diskpoll aion.blktest=write:{seed}") as node:
        check_driver(node, polling=True)
        expect(blktest_results(node), "persist-write", seed=seed, write="AION_OK",
               flush="AION_OK")
        stats = disk_stats(node)
        print(f"QEMU's counters for the disk: {stats}")
        want = {"wr_operations": 2, "wr_bytes": REGION_BLOCKS * BLK, "flush_operations": 1}
        check({k: stats[k] for k in want} == want,
              f"the device saw {stats}, expected {want}: two 64 KiB writes and one flush")
        pid = node.kill()
        print(f"killed the VM (pid {pid}) after the flush; booting it again on {node.disk_file}")
        node.cmdline_extra = f"aion.diskpoll aion.blktest=verify:{seed}"
        node.start(die_with_parent=True)
        first = node.wait_for(bootlib.BOOT_END_RE, bootlib.READY_TIMEOUT_S)
        check(first.group(1) == "ready", f"second boot: `{line_at(node.text, first)}`")
        expect(blktest_results(node), "persist", seed=seed, read="AION_OK", mismatched=0)
        print(f"second boot read back the {REGION_BLOCKS} blocks of pattern {seed}")


def test_restart(iso):
    seed = random.randrange(1, 1 << 31)
    with bootlib.booted(iso, cmdline_extra=f"aion.blktest=restart:{seed}") as node:
        check_driver(node)
        ready = node.wait_for(r"blktest: restart ready", DONE_TIMEOUT_S)
        node.wait_for(r"shell: ready", 30)
        lines = []
        status = ac.shell_exec(node, "kill virtio-blk", out=lines.append)
        check(status == 0, f"kill virtio-blk: status {status}: {lines}")
        v = expect(blktest_results(node, ready.start()), "restart", errors=0, differing=0,
                   write_after="AION_OK")
        text = node.complete()[ready.start():]
        check(re.search(r"init: service start name=virtio-blk restarts=1\b", text),
              "init did not start the driver again")
        print(f"restart: {v['reads']} reads while the driver was killed and started again, "
              f"none failed; the client attached {v['reattached']} time(s) more")


def test_noflush(iso):
    seed = random.randrange(1, 1 << 31)
    with bootlib.booted(iso, cmdline_extra=f"aion.blktest=noflush:{seed}",
                        disk_flush=False) as node:
        check_driver(node, flush="no")
        said = node.wait_for(r"virtio-blk: flush=no: writes cannot be made durable, "
                             r"BLK_FLUSH answers AION_EIO", 5)
        print(line_at(node.text, said))
        expect(blktest_results(node), "noflush", write="AION_OK", flush="AION_EIO",
               read="AION_OK", same="yes", flags="0x1")


def test_errors(iso):
    block = 1000                        # of "data": nothing else there reads it
    sector = DATA_FIRST + block
    rule = f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{sector}"\n'
    with bootlib.booted(iso, cmdline_extra=f"aion.diskpoll aion.blktest=eio:{block}",
                        disk_faults=rule) as node:
        check_driver(node, polling=True)
        expect(blktest_results(node), "eio", block=block, open="AION_OK", read="AION_EIO",
               next="AION_OK", span="AION_EIO", client="AION_EIO")
        logged = node.wait_for(rf"virtio-blk: error op=read sector={sector} blocks=1 "
                               rf"status=1 err=AION_EIO", 5)
        print(line_at(node.text, logged))


if __name__ == "__main__":
    tests = {"protocol": test_protocol, "reboot": test_reboot, "restart": test_restart,
             "noflush": test_noflush, "errors": test_errors}
    which = sys.argv.pop(1) if len(sys.argv) > 1 else ""
    if which not in tests:
        sys.exit(f"usage: boot_disk.py {{{'|'.join(tests)}}} ISO")
    bootlib.main(tests[which])
