"""One module per scripts/cluster command, each with main() reading
sys.argv; aion_cluster.cli runs them. What several of them share is here."""
import sys

import aion_cluster as ac


def the_node(doc):
    """The Node named by the command's only argument (node2 or 2); prints
    doc and exits on any other call. NodeError when there is no such node
    (aion_cluster.cli prints it as one line)."""
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit(doc.strip())
    return ac.find_node(ac.run_dir(), sys.argv[1])
