"""Where things are: the repository, the boot image, the run folder."""
import hashlib
import os
from pathlib import Path


REPO = Path(__file__).resolve().parents[3]
ISO = REPO / "build" / "deploy" / "aion.iso"


# sun_path holds 108 bytes; stay well below so every socket we create fits.
SOCKET_PATH_MAX = 100
# The longest socket name the run folder will hold (node names grow to nodeNN;
# a node switch's port sockets are PORT.FD, e.g. node99/switch/001.7; the
# central switch's and the wires' sockets are shorter).
_LONGEST_SOCKET = "node99/switch/001.999"

MAX_NODES = 99


def repo_root():
    return REPO


def short_enough(run):
    return len(str(Path(run) / _LONGEST_SOCKET)) < SOCKET_PATH_MAX


def run_dir():
    """The run folder: $AION_RUN_DIR, else <repo>/run.

    Unix socket paths must fit in sun_path: when the chosen folder is too
    deep, fall back to a short folder under /tmp named after a hash of the
    chosen path, so each checkout (or override) still gets its own folder.
    """
    run = Path(os.environ.get("AION_RUN_DIR") or REPO / "run").absolute()
    if short_enough(run):
        return run
    digest = hashlib.sha256(str(run).encode()).hexdigest()[:12]
    return Path("/tmp") / f"aion-run-{digest}"
