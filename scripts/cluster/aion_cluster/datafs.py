"""The file system in a node's "data" region (issue 18; docs/storage.md
"The data file system"), made and read with the host's e2fsprogs: mke2fs
formats it when `up` makes a disk (-d preloads a folder: `up --data DIR`),
debugfs copies files in and out of a stopped node's disk, e2fsck checks
it. The region's place on the disk is include/aion/blk.h's, read from the
header (one definition), and the host tools reach it through their
`IMAGE?offset=BYTES` device names."""
import re
import subprocess

from .paths import REPO

BLK_HEADER = REPO / "include" / "aion" / "blk.h"
SECTOR = 512
TOOL_TIMEOUT_S = 120


def blk_layout(header=BLK_HEADER):
    """{name: blocks} of blk.h's numeric BLK_*_FIRST/_BLOCKS defines
    (sums of names and numbers, as the header writes them)."""
    defs = {}
    for name, expr in re.findall(r"^#define\s+(BLK_[A-Z]+_(?:FIRST|BLOCKS))\s+(.+?)\s*$",
                                 header.read_text(), re.MULTILINE):
        terms = re.findall(r"[A-Z_]+|\d+", expr.strip("()"))
        if all(t.isdigit() or t in defs for t in terms) and re.fullmatch(
                r"\(?\s*[A-Z_0-9]+(\s*\+\s*[A-Z_0-9]+)*\s*\)?", expr):
            defs[name] = sum(int(t) if t.isdigit() else defs[t] for t in terms)
    return defs


def data_offset():
    """The data region's first byte on the disk."""
    return blk_layout()["BLK_DATA_FIRST"] * SECTOR


def device(disk):
    """The host tools' name of the data file system in disk."""
    return f"{disk}?offset={data_offset()}"


def run(args, what):
    """Runs an e2fsprogs tool: its CompletedProcess (text), whatever its
    exit status; RuntimeError when it cannot run or takes too long."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(f"{what}: {args[0]}: {e}") from None


def format_data(disk, disk_mib, preload=None):
    """An ext4 file system on the data region of disk (disk_mib MiB), with
    the files of the folder preload in it when given."""
    size_k = (disk_mib << 10) - data_offset() // 1024
    args = ["mke2fs", "-q", "-F", "-t", "ext4", "-L", "aion-data", "-E",
            f"offset={data_offset()}"]
    if preload:
        args += ["-d", str(preload)]
    p = run(args + [str(disk), f"{size_k}k"], "format the data region")
    if p.returncode != 0:
        raise RuntimeError(f"format the data region: mke2fs exited {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip()[-400:]}")


def fsck(disk):
    """e2fsck -fn on the data file system: (clean, its report)."""
    p = run(["e2fsck", "-fn", device(disk)], "check the data file system")
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def debugfs(disk, request, write=False):
    """One debugfs request on the data file system: its output. debugfs
    exits 0 even when a request fails, so its error lines are errors."""
    args = ["debugfs"] + (["-w"] if write else []) + ["-R", request, device(disk)]
    p = run(args, f"debugfs {request!r}")
    errors = [ln for ln in p.stderr.splitlines()
              if ln.strip() and not ln.startswith("debugfs ")]
    if p.returncode != 0 or errors:
        raise RuntimeError(f"debugfs {request!r}: {'; '.join(errors) or p.returncode}")
    return p.stdout
