"""The nemesis (docs/nemesis.md "Faults"): one fault at a time, from a
schedule drawn from the seed. Each round: CALM_S of quiet, then a fault
held for HOLD_S and undone:

    kill-vm     SIGKILL a node's QEMU (half the time the kv primary's),
                started again when the hold ends
    kill-meshd  `kill meshd` in a node's shell (half the time the
                scheduler leader's); init restarts it
    kill-kv     `kill kv` in the shell of a node holding a kv instance
                (the primary's 60 % of the time, else a backup's)
    pause       stop a VM's CPUs (half the time the primary's), resume
    partition   two sides: random halves (1 or 2 nodes against the rest),
                the leader (alone or with one more) against the rest, the
                kv instances together against the rest, or the primary
                with one other node against the rest (backups included);
                healed when the hold ends
    loss        LOSS_PERCENT % loss on 1 to all nodes' wires, then 0

Where the leader and kv's instances are comes from `jobs` asked of a
running node when the fault is drawn. Every random choice comes from one
generator seeded with the seed, so a seed replays the same schedule; the
targets named by role follow wherever the system put that role.

All of this runs on the main thread: a VM started again must have the
harness's main thread as its parent (PR_SET_PDEATHSIG fires when the
thread that started the process ends)."""
import json
import random
import time

from clusterlib import kv_roles, parse_jobs

import aion_cluster as ac

FAULTS = ("kill-vm", "kill-meshd", "kill-kv", "pause", "partition", "loss")
CALM_S = (2.0, 6.0)
HOLD_S = (3.0, 10.0)
LOSS_PERCENT = 10
SHELL_TIMEOUT_S = 15


class Nemesis:
    """The faults on net (ac.Cluster, .nodes) through sessions {number:
    ac.Session}; every fault and undo is one line of log_path (JSONL,
    times from t0 on the host's time.monotonic())."""

    def __init__(self, net, sessions, seed, log_path, t0):
        self.net, self.sessions, self.t0 = net, sessions, t0
        self.rng = random.Random(f"{seed}/nemesis")
        self.counts = {f: 0 for f in FAULTS}
        self.numbers = [n.number for n in net.nodes]
        self.log = open(log_path, "w")
        self.boots = {n: 0 for n in self.numbers}

    def run(self, until):
        """Faults one after another until time.monotonic() reaches until;
        the last fault is undone early if it is still held then."""
        while self._sleep(self.rng.uniform(*CALM_S), until):
            kind = self.rng.choice(FAULTS)
            hold = self.rng.uniform(*HOLD_S)
            target, undo = getattr(self, "_" + kind.replace("-", "_"))()
            self.counts[kind] += 1
            self._note(fault=kind, target=target, hold_s=round(hold, 3))
            self._sleep(hold, until)
            if undo:
                undo()
                self._note(undone=kind, target=target)

    def _sleep(self, seconds, until):
        """Sleeps up to until; whether time is left after."""
        time.sleep(max(0.0, min(seconds, until - time.monotonic())))
        return time.monotonic() < until

    def _note(self, **event):
        event = {"t": round(time.monotonic() - self.t0, 3), **event}
        self.log.write(json.dumps(event) + "\n")
        self.log.flush()

    def close(self):
        self.log.close()

    def restore(self):
        """Undoes whatever may still hold: the partition and loss healed,
        paused VMs resumed, dead ones started again."""
        self.net.heal()
        for n in self.numbers:
            self.net.loss(n, 0)
            node = self._node(n)
            if not node.alive():
                self._restart(n)
            elif node.vm_status() == "paused":
                node.resume()
        self._note(restored=True)

    # Where things are.

    def placement(self):
        """(leader or None, {node: kv role}) from `jobs` on the first node
        that answers; (None, {}) when none does."""
        for n in self.rng.sample(self.numbers, len(self.numbers)):
            try:
                status, lines, _, _ = self.sessions[n].run("jobs", SHELL_TIMEOUT_S)
                if status == 0:
                    leader, table = parse_jobs(f"node{n}", lines)
                    return leader or None, kv_roles(table)
            except ac.NodeError:
                continue
        return None, {}

    def _pick(self, preferred):
        """preferred (a node number or None) half the time, else any."""
        if preferred in self.numbers and self.rng.random() < 0.5:
            return preferred
        return self.rng.choice(self.numbers)

    def _primary(self, roles):
        return next((n for n, r in roles.items() if r == "primary"), None)

    def _node(self, number):
        return self.net.nodes[self.numbers.index(number)]

    def _shell(self, number, command):
        """Runs command on the node's shell; its outcome as text."""
        try:
            status, lines, _, _ = self.sessions[number].run(command, SHELL_TIMEOUT_S)
            return f"status={status} " + " | ".join(lines)
        except ac.NodeError as e:
            return f"failed: {e}"

    # The faults: each returns (what it hit, how to undo it or None).

    def _kill_vm(self):
        n = self._pick(self._primary(self.placement()[1]))
        self._node(n).kill()
        return n, lambda: self._restart(n)

    def _restart(self, n):
        """Starts node n again; its log so far is kept as serial.bootK.log."""
        node = self._node(n)
        self.boots[n] += 1
        if node.serial_log.exists():
            node.serial_log.replace(node.dir / f"serial.boot{self.boots[n]}.log")
        node.start(die_with_parent=True)

    def _kill_meshd(self):
        n = self._pick(self.placement()[0])
        return {"node": n, "shell": self._shell(n, "kill meshd")}, None

    def _kill_kv(self):
        roles = self.placement()[1]
        primary, backups = self._primary(roles), [n for n, r in roles.items() if r != "primary"]
        if primary and (not backups or self.rng.random() < 0.6):
            n = primary
        else:
            n = self.rng.choice(backups or self.numbers)
        return {"node": n, "shell": self._shell(n, "kill kv")}, None

    def _pause(self):
        n = self._pick(self._primary(self.placement()[1]))
        self._node(n).pause()
        return n, lambda: self._node(n).resume()

    def _partition(self):
        mode = self.rng.choice(("halves", "leader", "kv-together", "primary"))
        leader, roles = self.placement()
        side = set(self._side(mode, leader, roles))
        groups = [sorted(side), sorted(set(self.numbers) - side)]
        self.net.partition(groups)
        return {"mode": mode, "groups": groups}, self.net.heal

    def _side(self, mode, leader, roles):
        """The smaller side of a partition (at least one node, fewer than half)."""
        others = [n for n in self.numbers if n not in roles]
        if mode == "leader" and leader:
            return [leader] + self.rng.sample([n for n in self.numbers if n != leader],
                                              self.rng.randint(0, 1))
        if mode == "kv-together" and roles:
            return list(roles)[:(len(self.numbers) - 1) // 2]
        if mode == "primary" and self._primary(roles) and others:
            return [self._primary(roles), self.rng.choice(others)]
        return self.rng.sample(self.numbers, self.rng.randint(1, (len(self.numbers) - 1) // 2))

    def _loss(self):
        hit = sorted(self.rng.sample(self.numbers, self.rng.randint(1, len(self.numbers))))
        for n in hit:
            self.net.loss(n, LOSS_PERCENT)

        def undo():
            for n in hit:
                self.net.loss(n, 0)
        return {"nodes": hit, "percent": LOSS_PERCENT}, undo
