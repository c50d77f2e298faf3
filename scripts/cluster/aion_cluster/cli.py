"""The entry of every scripts/cluster command: `python3 -m aion_cluster.cli
NAME ARGS...` runs aion_cluster/commands/NAME.py's main() with sys.argv as
the command would see it. scripts/lib/cluster-cmd (the file every command
in scripts/cluster/ links to) calls this once python3 is there.

What every command shares: a closed pipe ends it quietly (`exec 1 nodes |
head -1`), Ctrl-C ends it with status 130 and no traceback, and a
NodeError becomes one line, "NAME: node2: what went wrong".
"""
import importlib
import signal
import sys

from .errors import NodeError

COMMANDS = ("add", "console", "data", "down", "exec", "heal", "kill", "logs", "loss", "partition",
            "pause", "remove", "restart", "resume", "rotate-key", "start", "status", "stop", "up")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"aion_cluster: the commands are {', '.join(COMMANDS)}")
    name = sys.argv[1]
    sys.argv = [f"scripts/cluster/{name}"] + sys.argv[2:]
    # Python turns SIGPIPE into BrokenPipeError; a command whose reader
    # went away should just end, as cat does.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    module = importlib.import_module(f"aion_cluster.commands.{name.replace('-', '_')}")
    try:
        module.main()
    except KeyboardInterrupt:
        print(file=sys.stderr)
        sys.exit(130)
    except NodeError as e:
        sys.exit(f"{name}: {e}")


if __name__ == "__main__":
    main()
