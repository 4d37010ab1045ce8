#!/usr/bin/python3
"""redis-warden failover on real redis-server clusters over three hosts, with a cluster
client writing (WAIT 1) through every failover: nothing acknowledged is lost."""

from __future__ import annotations

import signal
import subprocess
import time
import unittest

from common import WARDEN_BIN, Cluster, WardenTestCase, harness, run_warden, wait_until
from test_heal import AckedWriter, link_up, role_of


def shape(c: Cluster) -> list:
    """Every node's (id, role, master, slots) in the first master's view."""
    view = harness.parse_cluster_nodes(c.cluster_nodes(c.members()[0]))
    return sorted((v["id"], v["role"], v["master_id"] or "-", " ".join(v["slots"])) for v in view)


class FailoverTest(WardenTestCase):
    def setUp(self):
        self.c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=2000).start()
        self.addCleanup(self.c.stop)

    def failover(self, *extra: str):
        run = run_warden("failover", "--seed", self.c.members()[0].address, *extra, limit=90)
        self.assertNoCrash(run)
        return run

    def test_a_master_hands_over_to_its_replica_and_nothing_is_lost(self):
        writer = AckedWriter(self.c)
        time.sleep(0.5)
        a = self.c.masters()[0]
        replica = self.c.replicas_of(a)[0]
        run = self.failover("--master", a.address, "--yes")
        self.assertExit(run, 0)
        self.assertIn(f"CLUSTER FAILOVER on {replica.address}", run.out)
        self.assertIn("success: 1 failover(s) done", run.out)
        # Verified before warden returned: no wait needed here.
        self.assertEqual(role_of(self.c, replica)[0], "master")
        self.assertEqual(role_of(self.c, a), ("replica", replica.id))
        self.assertTrue(link_up(self.c, a))
        time.sleep(0.5)
        writer.stop_and_verify(self)

    def test_dry_run_changes_nothing_and_bad_targets_are_refused(self):
        a, b, _ = self.c.masters()
        before = shape(self.c)
        dry = self.failover("--master", a.id[:8], "--dry-run")
        self.assertExit(dry, 0)
        self.assertIn("1 planned failover(s)", dry.out)
        time.sleep(1)
        self.assertEqual(shape(self.c), before, "--dry-run changed the cluster")
        wrong = self.failover("--master", a.address, "--to", self.c.replicas_of(b)[0].address,
                              "--yes")
        self.assertExit(wrong, 1)
        self.assertIn("is not a healthy replica of", wrong.err)
        not_master = self.failover("--master", self.c.replicas_of(b)[0].address, "--yes")
        self.assertExit(not_master, 2)
        self.assertIn("is not a master", not_master.err)
        self.assertExit(self.failover("--yes"), 2)
        self.assertEqual(shape(self.c), before)

    def test_host_drain_leaves_no_master_on_the_host(self):
        writer = AckedWriter(self.c)
        host = self.c.masters()[1].host
        run = self.failover("--host", host, "--yes")
        self.assertExit(run, 0)
        self.c.refresh()
        serving = [n for n in self.c.members() if n.host == host and n.role == "master"]
        view = harness.parse_cluster_nodes(self.c.cluster_nodes(self.c.members()[0]))
        on_host_with_slots = [v for v in view if v["address"].startswith(host + ":")
                              and v["role"] == "master" and v["slots"]]
        self.assertEqual(on_host_with_slots, [], run.describe())
        self.assertEqual(len(serving), 0, run.describe())
        time.sleep(0.5)
        writer.stop_and_verify(self)

    def test_refuses_a_master_without_a_healthy_replica_and_open_slots(self):
        a, b, _ = self.c.masters()
        self.c.kill(self.c.replicas_of(a)[0])
        wait_until(lambda: "fail" in " ".join(
            f for v in harness.parse_cluster_nodes(self.c.cluster_nodes(a)) for f in v["flags"]),
            15, "the killed replica flagged")
        run = self.failover("--master", a.address, "--yes")
        self.assertExit(run, 1)
        self.assertIn(f"master {a.address} has no healthy replica", run.err)
        self.c.redis(b).execute_command("CLUSTER", "SETSLOT", 6000, "MIGRATING",
                                        self.c.masters()[2].id)
        self.addCleanup(lambda: self.c.redis(b).execute_command("CLUSTER", "SETSLOT", 6000,
                                                                "STABLE"))
        open_slots = self.failover("--master", b.address, "--yes")
        self.assertExit(open_slots, 1)
        self.assertIn("slot(s) are open", open_slots.err)


def wait_for_failover_command(c: Cluster, replica, proc: subprocess.Popen,
                              limit: float = 30) -> None:
    """Return as soon as `replica` has run CLUSTER FAILOVER (MONITOR hides admin commands;
    the slow log, at threshold 0, records every command right after it ran)."""
    r = c.redis(replica)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for entry in r.slowlog_get(16):
            words = entry["command"]
            words = words.decode() if isinstance(words, bytes) else words
            if words.upper().startswith("CLUSTER FAILOVER"):
                return
        if proc.poll() is not None:
            raise AssertionError(f"warden exited ({proc.returncode}) before CLUSTER FAILOVER: "
                                 f"{proc.communicate()}")
    raise AssertionError(f"no CLUSTER FAILOVER reached {replica.address} within {limit}s")


def slot_servers(c: Cluster, slots: str, pair: tuple) -> list:
    """Which node each live view says serves `slots`, how each view sees the two nodes of
    `pair` (role, master), and any open slot or cluster_state other than ok."""
    out = set()
    for n in c.members():
        if not n.alive() or n.stopped:
            continue
        if c.redis(n).execute_command("CLUSTER", "INFO").find("cluster_state:ok") < 0:
            out.add(("state", n.address, "not ok"))
        for v in harness.parse_cluster_nodes(c.cluster_nodes(n)):
            if any(s.startswith("[") for s in v["slots"]):
                out.add(("open", v["address"], " ".join(v["slots"])))
            if " ".join(v["slots"]) == slots:
                out.add(("serves", v["id"], n.address))
            if v["id"] in pair:
                out.add(("sees", v["id"], v["role"], v["master_id"] or "-", n.address))
    return sorted(out)


class FailoverInterruptedTest(WardenTestCase):
    """A planned failover stopped half-way (warden killed right after CLUSTER FAILOVER, or the
    replica frozen as the command arrives) leaves one of the two serving the slots, no slot
    open, nothing acknowledged lost, and a rerun works."""

    def setUp(self):
        self.c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=2000).start()
        self.addCleanup(self.c.stop)
        self.a = self.c.masters()[0]
        self.r = self.c.replicas_of(self.a)[0]
        view = harness.parse_cluster_nodes(self.c.cluster_nodes(self.a))
        self.slots = " ".join(next(v for v in view if v["id"] == self.a.id)["slots"])
        self.c.redis(self.r).config_set("slowlog-log-slower-than", 0)
        self.c.redis(self.r).slowlog_reset()
        self.writer = AckedWriter(self.c)
        time.sleep(0.5)

    def start_failover(self, *extra: str) -> subprocess.Popen:
        proc = subprocess.Popen([WARDEN_BIN, "failover", "--seed", self.c.members()[0].address,
                                 "--master", self.a.address, "--yes", *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc

    def settled_on_one_of_the_two(self) -> str:
        """Wait until exactly one of a, r serves a's slots in every live view, no slot is open,
        every node says cluster_state:ok and the other of the two replicates it, link up."""
        pair = {self.a.id: self.a, self.r.id: self.r}
        last = []

        def settled():
            nonlocal last
            last = slot_servers(self.c, self.slots, tuple(pair))
            servers = {entry[1] for entry in last if entry[0] == "serves"}
            if any(entry[0] in ("open", "state") for entry in last) or len(servers) != 1:
                return False
            (serving,) = servers
            if serving not in pair:
                return False
            other = next(n for i, n in pair.items() if i != serving)
            seen = {entry[1:4] for entry in last if entry[0] == "sees"}
            if seen != {(serving, "master", "-"), (other.id, "replica", serving)}:
                return False
            return link_up(self.c, other)
        wait_until(settled, 40, "one of the two serving the slots, the other replicating it")
        return next(entry[1] for entry in last if entry[0] == "serves")

    def test_warden_killed_right_after_cluster_failover(self):
        proc = self.start_failover()
        wait_for_failover_command(self.c, self.r, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        serving = self.settled_on_one_of_the_two()
        # The replica finishes a failover it accepted on its own; warden's death changes nothing.
        self.assertEqual(serving, self.r.id)
        rerun = run_warden("failover", "--seed", self.c.members()[0].address, "--master",
                           self.r.address, "--yes", limit=90)
        self.assertExit(rerun, 0)
        self.assertEqual(self.settled_on_one_of_the_two(), self.a.id)
        self.writer.stop_and_verify(self)

    def test_replica_frozen_as_the_command_arrives(self):
        proc = self.start_failover("--timeout", "3000")
        wait_for_failover_command(self.c, self.r, proc)
        self.c.stop_node(self.r)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("failover did not give up on a frozen replica (hang)")
        self.assertEqual(proc.returncode, 1, out + err)
        self.assertIn(f"failover of {self.a.address} to {self.r.address}", err)
        self.assertIn("every slot is still served by one of the two", err)
        self.c.cont_node(self.r)
        serving = self.settled_on_one_of_the_two()
        # The thawed replica stays flagged fail until the others hear from it again; until
        # then warden rightly refuses to hand over to it ("no healthy replica"), as it would
        # to an operator retrying too early.
        self.c.wait_healthy()
        rerun = run_warden("failover", "--seed", self.c.members()[0].address, "--master",
                           self.c.node(serving).address, "--yes", limit=90)
        self.assertExit(rerun, 0)
        self.assertNotEqual(self.settled_on_one_of_the_two(), serving)
        self.writer.stop_and_verify(self)


if __name__ == "__main__":
    unittest.main()
