#!/usr/bin/python3
"""redis-warden failover on real redis-server clusters over three hosts, with a cluster
client writing (WAIT 1) through every failover: nothing acknowledged is lost."""

from __future__ import annotations

import time
import unittest

from common import Cluster, WardenTestCase, harness, run_warden, wait_until
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


if __name__ == "__main__":
    unittest.main()
