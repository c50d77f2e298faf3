"""Give every running node of the cluster a new cluster key, without a
restart and without a refused packet.

Through each node's console (`mesh key add|use|retire`, which meshd takes
from the console's shell only): all nodes add the new key (accepting both),
then all send with it, then RUN/cluster-key is replaced (a node started
again boots with the new key) and all drop the old one. The new key is
random (32 bytes) unless --key gives one (16 to 64 bytes of hex). Every node
must be running and not paused: a node that is stopped boots with the new
key file later; a paused one could not be told, so nothing is done.

Usage: rotate-key [--key HEX]
"""
import argparse
import sys

import aion_cluster as ac
from aion_cluster import cluster as lifecycle
from aion_cluster.keys import rotate_key


def key_arg(text):
    try:
        return ac.check_key(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                epilog=__doc__.split("\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--key", type=key_arg, metavar="HEX",
                   help="the new key (default: 32 random bytes)")
    args = p.parse_args()
    run = ac.run_dir()
    live, paused = lifecycle.running_nodes(run)
    if paused:
        sys.exit(f"rotate-key: {', '.join(paused)} paused: resume first, nothing changed")
    rotate_key(live, run / ac.KEY_FILE, args.key or ac.new_key(),
               out=lambda line: print(f"rotate-key: {line}", flush=True))
    print(f"rotate-key: done: {len(live)} nodes use the new key (RUN/{ac.KEY_FILE})")
