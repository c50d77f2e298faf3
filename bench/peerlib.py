"""The Linux peer (../shared/linux-peer) as the benches that compare with
it run it: where it is, its run.sh in a folder of the bench's own, and the
positive counts the benches take from the environment. One definition for
bench/posix, bench/disk and bench/compare."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

PEER_DIR_DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "linux-peer"


class PeerError(Exception):
    pass


def peer_dir(bench):
    """The peer's folder (LINUX_PEER, else ../shared/linux-peer); exits
    naming bench when it has no run.sh."""
    peer = Path(os.environ.get("LINUX_PEER", PEER_DIR_DEFAULT))
    if not (peer / "run.sh").is_file():
        sys.exit(f"{bench}: no Linux peer at {peer} (LINUX_PEER)")
    return peer


def env_int(bench, name, default):
    """A positive count from the environment, or default."""
    v = os.environ.get(name, str(default))
    if not v.isdigit() or int(v) < 1:
        sys.exit(f"{bench}: {name}={v!r} is not a positive count")
    return int(v)


def run(peer, modes, work_default, knobs, timeout_s, log):
    """The peer's results.json after `MODES=modes run.sh` with knobs (its
    environment variables) in a folder of our own (PEER_DIR, else
    work_default: no other run's lock or switch, kept between runs so
    that its build is reused). PeerError when it fails or overruns."""
    work = Path(os.environ.get("PEER_DIR", work_default))
    env = dict(os.environ, MODES=modes, PEER_DIR=str(work), OUT=str(work / "results.json"),
               **{k: str(v) for k, v in knobs.items()})
    log(f"Linux peer: {peer}/run.sh in {work}")
    p = subprocess.Popen([str(peer / "run.sh")], env=env, stdout=sys.stderr, stderr=sys.stderr,
                         start_new_session=True)
    try:
        rc = p.wait(timeout=timeout_s)
        if rc != 0:
            raise PeerError(f"the peer's run.sh exited {rc} (logs under {work}/run)")
        res = json.loads((work / "results.json").read_text())
        if res.get("failures"):
            raise PeerError(f"the peer reported failures: {res['failures']}")
        return res
    except subprocess.TimeoutExpired:
        raise PeerError(f"the peer's run.sh took over {timeout_s} s") from None
    finally:
        if p.poll() is None:
            # run.sh stops its VMs and switch by pid on TERM; its group
            # is ours alone (a new session) should it not.
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            log(f"stopped the peer's run.sh pid {p.pid}")
