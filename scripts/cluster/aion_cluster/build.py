"""Host setup and the build: the same two scripts scripts/test runs."""
import os
import subprocess
import sys

from .errors import NodeError
from .paths import ISO, REPO

SETUP = REPO / "scripts" / "setup-host"
BUILD = REPO / "scripts" / "lib" / "build"


def _run(cmd, out):
    if subprocess.run([str(cmd)], cwd=REPO, stdout=out, stderr=out).returncode != 0:
        raise NodeError(f"{cmd.relative_to(REPO)} failed"
                        + (f" (its output: {out.name})" if hasattr(out, "name") else ""))


def setup(out=None):
    """Install what the host lacks (scripts/setup-host). Skipped when the
    caller's launcher already did it (AION_SETUP_DONE=1)."""
    if os.environ.get("AION_SETUP_DONE") != "1":
        _run(SETUP, out)


def build(quiet_stdout=False, log=None):
    """Install host packages if missing and build what is stale.

    quiet_stdout sends the output to stderr (for callers whose stdout
    carries results, such as benchmarks); log: an open file for it
    instead. Raises NodeError on failure.
    """
    out = log if log is not None else sys.stderr if quiet_stdout else None
    setup(out)
    _run(BUILD, out)
    if not ISO.is_file():
        raise NodeError(f"the build did not produce {ISO}")
