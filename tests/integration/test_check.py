#!/usr/bin/python3
"""Integration tests of `redis-warden check` on real redis-server 7.0 clusters.

Run: WARDEN_BIN=build/redis-warden /usr/bin/python3 tests/integration/test_check.py [-v]
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from common import (EXIT_CRITICAL, harness, EXIT_OK, EXIT_UNKNOWN, EXIT_WARNING, WARDEN_BIN,
                    Cluster, WardenTestCase, check_args, codes, finding_nodes, findings,
                    node_by_id, run_warden, summary, wait_until)

NODE_TIMEOUT_MS = 2000

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from bench_fake_cluster import FakeCluster  # noqa: E402


class HealthySpreadCluster(WardenTestCase):
    """3 masters x 1 replica over 127.0.0.1/.2/.3, each replica on another host than its
    master. Tests here leave the cluster healthy again (tearDown waits for it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=NODE_TIMEOUT_MS)
        cls.c.start()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def tearDown(self):
        for n in self.c.nodes:
            if n.stopped:
                self.c.cont_node(n)
        self.c.wait_healthy()

    # -- layout sanity (the harness promise the other assertions rest on)
    def test_harness_layout(self):
        for r in self.c.replicas():
            self.assertNotEqual(r.host, self.c.master_of(r).host)
        self.assertEqual(len({m.host for m in self.c.masters()}), 3)

    def test_healthy_json(self):
        run, rep = self.check_json(self.c)
        self.assertExit(run, EXIT_OK)
        self.assertEqual(rep["status"], "ok", summary(rep))
        self.assertEqual(rep["findings"], [], summary(rep))
        q = rep["quorum"]
        self.assertEqual(q["voting_masters"], 3)
        self.assertEqual(q["healthy_voting_masters"], 3)
        self.assertEqual(q["needed"], 2)
        self.assertEqual(q["margin"], 1)
        self.assertNotIn("quorum_at_risk", codes(rep))
        self.assertIn("cluster", rep)

        self.assertEqual(len(rep["nodes"]), 6)
        by_id = {n["id"]: n for n in rep["nodes"]}
        self.assertEqual(set(by_id), {n.id for n in self.c.nodes})
        slots = 0
        for hn in self.c.nodes:
            n = by_id[hn.id]
            for key in ("id", "address", "role", "master_id", "slots", "flags", "reachable",
                        "failure_domain"):
                self.assertIn(key, n)
            self.assertEqual(n["address"], hn.address)
            self.assertTrue(n["reachable"], n)
            self.assertEqual(n["failure_domain"], hn.host)
            self.assertIsInstance(n["flags"], list)
            if hn.role == "master":
                self.assertEqual(n["role"], "master")
                self.assertIsNone(n["master_id"])
                self.assertIn(n["slots"], (5461, 5462))
                self.assertIn("master", n["flags"])
                slots += n["slots"]
            else:
                self.assertEqual(n["role"], "replica")
                self.assertEqual(n["master_id"], hn.master_id)
                self.assertEqual(n["slots"], 0)
        self.assertEqual(slots, 16384)

    def test_format_json_same_as_json(self):
        run = run_warden(*check_args(self.c), "--format", "json")
        self.assertExit(run, EXIT_OK)
        rep = run.json()
        self.assertEqual(rep["status"], "ok")
        self.assertEqual(len(rep["nodes"]), 6)

    def test_discovers_from_a_replica_seed(self):
        run, rep = self.check_json(self.c, self.c.replicas()[0].address)
        self.assertExit(run, EXIT_OK)
        self.assertEqual({n["id"] for n in rep["nodes"]}, {n.id for n in self.c.nodes})

    def test_several_seeds(self):
        run, rep = self.check_json(self.c, *self.c.seeds()[:3])
        self.assertExit(run, EXIT_OK)
        self.assertEqual(len(rep["nodes"]), 6)

    def test_text_output(self):
        run = run_warden(*check_args(self.c))
        self.assertExit(run, EXIT_OK)
        for n in self.c.nodes:
            self.assertIn(n.address, run.out, run.describe())
        self.assertNotIn("orphan", run.out.lower())
        self.assertIn("OK", run.out)

    def test_nagios_output(self):
        run = run_warden(*check_args(self.c), "--format", "nagios")
        self.assertExit(run, EXIT_OK)
        line = run.out.strip().splitlines()[0]
        self.assertTrue(line.startswith("REDIS CLUSTER OK"), run.describe())
        self.assertIn("|", line)
        perf = line.split("|", 1)[1]
        self.assertIn("voting_masters=3", perf)
        self.assertIn("quorum_margin=1", perf)
        self.assertIn("orphaned_masters=0", perf)

    def test_slots_open(self):
        master = self.c.masters()[0]
        other = self.c.masters()[1]
        slot = 42  # owned by the first master (0-5460)
        r = self.c.redis(master)
        r.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", other.id)
        try:
            run, rep = self.check_json(self.c)
            self.assertIn("slots_open", codes(rep), summary(rep))
            self.assertIn(master.id, finding_nodes(rep, "slots_open"), summary(rep))
            for f in findings(rep, "slots_open"):
                self.assertEqual(f["severity"], "warning")
            self.assertEqual(rep["status"], "warning", summary(rep))
            self.assertExit(run, EXIT_WARNING)
        finally:
            r.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
        # the importing side is open too
        ro = self.c.redis(other)
        ro.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", master.id)
        try:
            run, rep = self.check_json(self.c)
            self.assertIn(other.id, finding_nodes(rep, "slots_open"), summary(rep))
            self.assertExit(run, EXIT_WARNING)
        finally:
            ro.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
        run, rep = self.check_json(self.c)
        self.assertNotIn("slots_open", codes(rep), summary(rep))
        self.assertExit(run, EXIT_OK)

    def test_sigstop_master_bounded_by_timeout(self):
        frozen = self.c.masters()[1]
        others = [n for n in self.c.nodes if n is not frozen]
        self.c.stop_node(frozen)
        try:
            # the frozen node first among the seeds: it must not hold the rest up
            args = check_args(self.c, frozen.address, others[0].address)
            run = run_warden(*args, "--json", "--timeout", "500", limit=10)
        finally:
            self.c.cont_node(frozen)
        self.assertNoCrash(run)
        self.assertLess(run.elapsed, 1.0, f"check took {run.elapsed:.3f}s with --timeout 500\n"
                        f"{run.describe()}")
        rep = run.json()
        self.assertIn(run.rc, (EXIT_WARNING, EXIT_CRITICAL), run.describe())
        n = node_by_id(rep, frozen.id)
        self.assertIsNotNone(n, summary(rep))
        self.assertFalse(n["reachable"])
        self.assertIn(frozen.id, finding_nodes(rep, "node_unreachable"), summary(rep))
        for o in others:
            on = node_by_id(rep, o.id)
            self.assertIsNotNone(on, f"{o.address} missing\n{summary(rep)}")
            self.assertTrue(on["reachable"], on)

    def test_from_file_matches_live(self):
        tmp = tempfile.mkdtemp(prefix="warden-views-")
        try:
            files = []
            for n in self.c.nodes:
                path = os.path.join(tmp, f"{n.port}.nodes")
                with open(path, "w") as f:
                    f.write(self.c.cluster_nodes(n))
                files.append(path)
            live_run, live = self.check_json(self.c)
            run = run_warden("check", "--json", "--from-file", *files)
            self.assertExit(run, EXIT_OK)
            off = run.json()
            self.assertEqual(off["status"], live["status"], summary(off))
            self.assertEqual(off["status"], "ok")

            def shape(rep):
                return sorted((n["id"], n["address"], n["role"], n["master_id"] or "",
                               n["slots"]) for n in rep["nodes"])
            self.assertEqual(shape(off), shape(live))

            # one unreadable file -> unknown
            bad = run_warden("check", "--from-file", files[0], os.path.join(tmp, "missing"))
            self.assertNoCrash(bad)
            self.assertExit(bad, EXIT_UNKNOWN)
            self.assertIn("missing", bad.err + bad.out)
            # a directory is not a readable file either
            bad = run_warden("check", "--from-file", tmp)
            self.assertNoCrash(bad)
            self.assertExit(bad, EXIT_UNKNOWN)
            # garbage content: a clear error, never a crash or a silent "ok"
            garbage = os.path.join(tmp, "garbage")
            with open(garbage, "w") as f:
                f.write("this is not\nCLUSTER NODES output\x00\xff at all\n")
            bad = run_warden("check", "--from-file", garbage)
            self.assertNoCrash(bad)
            self.assertExit(bad, EXIT_UNKNOWN)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class NodeDeaths(WardenTestCase):
    """SIGKILL a replica, then a master; nodes are restarted after each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=NODE_TIMEOUT_MS)
        cls.c.start()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def tearDown(self):
        for n in self.c.nodes:
            if not n.alive():
                self.c.restart(n)
        self.c.wait_healthy(60)

    def test_replica_killed_orphans_its_master(self):
        replica = self.c.replicas()[0]
        master = self.c.master_of(replica)
        seed = self.c.masters()[2].address
        self.c.kill(replica, signal.SIGKILL)
        run, rep, took = self.poll_check(
            self.c, lambda r: master.id in finding_nodes(r, "orphaned_master"),
            NODE_TIMEOUT_MS / 1000 + 3, "orphaned_master for the killed replica's master", seed)
        self.assertLessEqual(took, NODE_TIMEOUT_MS / 1000 + 1.0,
                             f"orphaned_master took {took:.2f}s to appear")
        self.assertExit(run, EXIT_CRITICAL)
        self.assertEqual(rep["status"], "critical")
        for f in findings(rep, "orphaned_master"):
            self.assertEqual(f["severity"], "critical")
            self.assertEqual(f["nodes"], [master.id], summary(rep))
        n = node_by_id(rep, replica.id)
        self.assertIsNotNone(n, summary(rep))
        self.assertFalse(n["reachable"])
        # only that master is orphaned
        self.assertEqual(finding_nodes(rep, "orphaned_master"), {master.id})

        # Offline: once the live nodes flag the replica `fail`, their saved views alone show
        # the orphan too.
        live = [n for n in self.c.nodes if n is not replica]
        def flagged_fail():
            for n in live:
                view = {v["id"]: v for v in harness.parse_cluster_nodes(self.c.cluster_nodes(n))}
                if "fail" not in view[replica.id]["flags"]:
                    return False
            return True

        wait_until(flagged_fail,
                   15, "every live node to flag the killed replica fail")
        tmp = tempfile.mkdtemp(prefix="warden-views-")
        try:
            files = []
            for n in live:
                p = os.path.join(tmp, f"{n.port}.nodes")
                with open(p, "w") as f:
                    f.write(self.c.cluster_nodes(n))
                files.append(p)
            off = run_warden("check", "--json", "--from-file", *files)
            self.assertExit(off, EXIT_CRITICAL)
            orep = off.json()
            self.assertIn(master.id, finding_nodes(orep, "orphaned_master"), summary(orep))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_master_killed_promoted_replica_orphaned(self):
        master = self.c.masters()[0]
        replica = self.c.replicas_of(master)[0]
        self.c.kill(master, signal.SIGKILL)
        promoted = self.c.wait_for_failover(master, 30)
        self.assertEqual(promoted.id, replica.id)
        seed = next(n for n in self.c.nodes if n is not master).address
        run, rep, _ = self.poll_check(
            self.c, lambda r: promoted.id in finding_nodes(r, "orphaned_master"),
            10, "orphaned_master for the promoted replica", seed)
        self.assertExit(run, EXIT_CRITICAL)
        self.assertEqual(rep["status"], "critical")
        pn = node_by_id(rep, promoted.id)
        self.assertEqual(pn["role"], "master")
        self.assertGreater(pn["slots"], 0)
        dead = node_by_id(rep, master.id)
        self.assertIsNotNone(dead, summary(rep))
        self.assertFalse(dead["reachable"])
        # quorum: 3 voting masters, all serving ones healthy again after failover
        self.assertEqual(rep["quorum"]["voting_masters"], 3, summary(rep))


class SameHostReplicas(WardenTestCase):
    def test_replica_same_host(self):
        with Cluster(masters=3, replicas=1, hosts=3, same_host_replicas=True,
                     node_timeout=NODE_TIMEOUT_MS) as c:
            for r in c.replicas():
                self.assertEqual(r.host, c.master_of(r).host)
            run, rep = self.check_json(c)
            self.assertIn("replica_same_host", codes(rep), summary(rep))
            self.assertEqual(finding_nodes(rep, "replica_same_host") & {m.id for m in c.masters()},
                             {m.id for m in c.masters()}, summary(rep))
            for f in findings(rep, "replica_same_host"):
                self.assertEqual(f["severity"], "warning")
            self.assertNotIn("orphaned_master", codes(rep))
            self.assertEqual(rep["status"], "warning", summary(rep))
            self.assertExit(run, EXIT_WARNING)
            for n in rep["nodes"]:
                self.assertEqual(n["failure_domain"], n["address"].rsplit(":", 1)[0])


def start_fake_cluster(masters: int) -> FakeCluster:
    """A fake cluster (one Python thread serving every node's port) on free loopback ports."""
    for _ in range(50):
        base = random.randrange(harness.PORT_RANGE[0], harness.PORT_RANGE[1] - 2 * masters)
        if all(harness.port_free("127.0.0.1", base + i) for i in range(2 * masters)):
            try:
                return FakeCluster(masters, base).start()
            except RuntimeError:
                continue  # taken meanwhile: another range
    raise RuntimeError("no free port range for the fake cluster")


class DescriptorLimitTest(unittest.TestCase):
    """A fake 200-node cluster under a soft descriptor limit of 64: what systemd's soft limit
    of 1,024 is to a 1,000-node cluster, one socket per node."""

    @classmethod
    def setUpClass(cls):
        cls.fake = start_fake_cluster(100)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def check_under(self, soft: int, hard: int):
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        proc = subprocess.run([WARDEN_BIN, "check", "--seed", f"127.0.0.1:{self.fake.ports[0]}",
                               "--json", "--timeout", "5000"], capture_output=True, text=True,
                              timeout=60, preexec_fn=limit)
        return proc, json.loads(proc.stdout) if proc.stdout.strip() else {}

    def test_check_raises_its_soft_limit_to_reach_every_node(self):
        proc, report = self.check_under(64, 4096)
        self.assertEqual(len(report["nodes"]), 200, proc.stderr)
        unreachable = [n["address"] for n in report["nodes"] if not n["reachable"]]
        self.assertEqual(unreachable, [], proc.stderr)
        self.assertNotIn("node_unreachable", codes(report))

    def test_a_hard_limit_too_low_names_the_problem(self):
        proc, report = self.check_under(64, 64)
        self.assertIn(proc.returncode, (EXIT_CRITICAL, EXIT_UNKNOWN), proc.stderr)
        errors = {n.get("error", "") for n in report.get("nodes", []) if not n["reachable"]}
        self.assertTrue(any("open files" in e.lower() for e in errors), errors)


if __name__ == "__main__":
    unittest.main(verbosity=2)
