"""How an Aion node VM is launched and observed: the one definition of a
node and of a cluster's run folder.

The cluster commands (scripts/cluster/*), the boot and cluster tests
(tests/) and the benchmarks (bench/) all start and watch QEMU through this
package, so a change to the QEMU command line or the run folder layout
happens here and nowhere else. Python standard library only. One module
per concern:

    paths     the repository, the image, the run folder
    errors    NodeError, NodeTimeout
    qemu      a node's QEMU command line: devices, NICs, SMBIOS words, fw_cfg, keys
    proc      processes we start: pid checks, the Tracked base, signals
    node      Node: one VM, its serial log, waiting for lines
    qmp       QEMU's control socket
    vde       vde_switch and wirefilter processes (Switch, Wire)
    network   Cluster: the fault network, partitions, loss
    console   exec of one shell command, and the attached terminal
    session   a console held open for many commands (Session)
    mesh      the guests' `nodes` view and the wait for the mesh
    cluster   a whole cluster in a run folder: config, nodes, stop
    table     what up and status print
    build     host setup and build

Run folder layout (docs/host-scripts.md):
    RUN/switch/             the central VDE switch's socket directory
    RUN/switch.pid          its pid while it runs
    RUN/switch.mgmt         its management socket (vde_switch -M)
    RUN/switch.err          its stderr before it daemonised
                            (node N's wire holds its port N)
    RUN/nodeN/pid           QEMU's pid while the node runs
    RUN/nodeN/console.sock  serial console (unix socket, QEMU is the server)
    RUN/nodeN/qmp.sock      QMP control socket
    RUN/nodeN/serial.log    everything the guest wrote to its serial port
    RUN/nodeN/qemu.err      QEMU's own stderr
    RUN/nodeN/qemu.argv     the command line used, one argument per line
    RUN/nodeN/forward_port  the 127.0.0.1 port forwarded to the guest (node1)
    RUN/nodeN/exec.seq      the last sequence number `exec` used
    RUN/nodeN/disk.img      the node's disk (raw, sparse); kept by stop,
                            start, kill; removed by down unless --keep-disks
    RUN/nodeN/switch/       node N's own VDE switch (its NIC plugs in here),
    RUN/nodeN/switch.{pid,mgmt,err}   with its pid, management socket, stderr
    RUN/nodeN/wire.pid      the wirefilter joining node N's switch to port N
    RUN/nodeN/wire.mgmt     of the central switch: its pid, management socket
    RUN/nodeN/wire.err      (loss is set there) and stderr
"""
from .build import build
from .cluster import (cluster_nodes, node_disks, remove_disks, running_net, running_parts,
                      stop_cluster)
from .console import ESCAPE, attach_console, next_exec_seq, sh_exec, shell_exec
from .errors import NodeError, NodeTimeout
from .mesh import (CONSOLE_READY_RE, MESH_TIMEOUT_S, mesh_missing, mesh_view,
                   parse_nodes, wait_mesh)
from .network import Cluster, as_number, format_groups, parse_groups
from .node import (READY_RE, SHUTDOWN_TIMEOUT_S, LineEcho, Node, find_node, node_number, nodes_in, plain,
                   stop_nodes, wait_all)
from .paths import ISO, MAX_NODES, REPO, SOCKET_PATH_MAX, repo_root, run_dir, short_enough
from .proc import Tracked, exit_on_signals, pid_alive, pid_cmdline
from .qemu import (CLUSTER_KEY_FWCFG, DISK_FILE, DISK_MIB, FORWARD_GUEST_PORT, FORWARD_MAC,
                   KEY_FILE, KEY_MAX_DIGITS, KEY_MIN_DIGITS, KEY_NEW_BYTES, check_key, choose_accel,
                   cmdline_args, cmdline_words, create_disk, disk_args, free_loopback_port,
                   fwcfg_args, kvm_usable, mesh_addr, mesh_mac, net_args, new_key, node_fwcfg,
                   qemu_argv, read_key_file, write_key_file)
from .qmp import qmp_command
from .session import Session
from .table import (cluster_table, net_columns, net_lines, node_state, status_data,
                    switch_line, vm_state)
from .vde import CENTRAL_PORTS, Daemon, Switch, Wire, check_loss, mgmt_command
