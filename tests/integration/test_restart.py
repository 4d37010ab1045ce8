#!/usr/bin/python3
"""redis-warden restart (rolling restart) on real redis-server clusters under a writer.

--exec runs a tiny client that asks this test to restart the node: the test's harness stops
it with SIGTERM and starts it again with its config (so every process stays tracked by pid),
after checking the node is not a master at that moment. The writer (python3-redis cluster
client, WAIT 1) must keep every acknowledged write."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from common import WARDEN_BIN, Cluster, WardenTestCase, run_warden, wait_until
from test_daemon import Daemon, metric
from test_heal import NO_NATIVE_MIGRATION, AckedWriter, shape

HELPER = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
          "s.sendall((sys.argv[2]+' '+sys.argv[3]).encode()); "
          "sys.exit(int(s.recv(16) or b'1'))")


class Restarter:
    """Serves the --exec helper: restarts the node on that port; records what it saw."""

    def __init__(self, c: Cluster, directory: str):
        self.c = c
        self.path = os.path.join(directory, "restart.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(4)
        self.server.settimeout(0.2)
        self.restarted: list[int] = []      # ports, in order
        self.masters_hit: list[int] = []    # ports that were masters when asked
        self.env_roles: list[str] = []
        self.fail_on: set[int] = set()      # call numbers (1-based) answered with exit 1
        self.on_call = None                 # callable(call number) before acting
        self.calls = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def command(self) -> str:
        return f"/usr/bin/python3 -c \"{HELPER}\" {self.path} {{port}} $WARDEN_NODE_ROLE"

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                port_text, role = conn.recv(64).decode().split()
                self.calls += 1
                if self.on_call:
                    self.on_call(self.calls)
                if self.calls in self.fail_on:
                    conn.sendall(b"1")
                    continue
                node = next(n for n in self.c.members() if n.port == int(port_text))
                self.env_roles.append(role)
                if self.c.redis(node).execute_command("ROLE")[0] in ("master", b"master"):
                    self.masters_hit.append(node.port)
                self.c.kill(node, signal.SIGTERM)
                self.c.restart(node)
                self.restarted.append(node.port)
                conn.sendall(b"0")

    def stop(self) -> None:
        self.running = False
        self.server.close()
        self.thread.join(5)


class RestartTest(WardenTestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="warden-restart-")
        self.c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=2000,
                         extra_config=NO_NATIVE_MIGRATION).start()
        self.addCleanup(self.c.stop)
        self.restarter = Restarter(self.c, self.tmp)
        self.addCleanup(self.restarter.stop)

    def restart(self, *extra: str, limit: float = 240):
        run = run_warden("restart", "--seed", self.c.seeds()[0], "--exec",
                         self.restarter.command(), "--node-timeout", "60000", *extra,
                         limit=limit)
        self.assertNoCrash(run)
        return run

    def every_slot_served(self) -> None:
        """cluster_state:ok on every live node: every slot has a serving master."""
        def ok():
            return all("cluster_state:ok" in self.c.redis(n).execute_command("CLUSTER", "INFO")
                       for n in self.c.members() if n.alive())
        wait_until(ok, 20, "cluster_state ok on every live node")

    def test_every_node_restarted_once_masters_only_as_replicas_nothing_lost(self):
        pids_before = {n.port: n.pid for n in self.c.members()}
        masters_before = {n.port for n in self.c.masters()}
        writer = AckedWriter(self.c)
        run = self.restart("--yes", "--failback")
        writer.stop_and_verify(self)
        self.assertExit(run, 0)
        self.assertEqual(sorted(self.restarter.restarted), sorted(pids_before),
                         "every node restarted exactly once")
        self.assertEqual(self.restarter.masters_hit, [], "a master was restarted as a master")
        self.assertEqual(set(self.restarter.env_roles), {"replica"})
        first_masters = self.restarter.restarted[-3:]
        self.assertEqual(set(first_masters), masters_before, "masters come last")
        for n in self.c.members():
            self.assertNotEqual(n.pid, pids_before[n.port], f"{n.address} kept its pid")
        self.assertIn("6 node(s) restarted, 7.0", run.out)
        self.assertIn("failback", run.out)
        self.c.refresh()
        self.assertEqual({n.port for n in self.c.masters()}, masters_before,
                         "--failback put the original masters back")
        self.every_slot_served()

    def test_a_failing_command_stops_there_and_the_state_file_finishes_the_run(self):
        state = os.path.join(self.tmp, "state.json")
        self.restarter.fail_on = {3}
        writer = AckedWriter(self.c)
        first = self.restart("--yes", "--state", state)
        self.assertExit(first, 1)
        self.assertIn("--exec failed on", first.err)
        self.assertIn("stopped at", first.err)
        self.assertIn("rerun with the same --state", first.err)
        self.assertEqual(len(self.restarter.restarted), 2)
        with open(state) as f:
            recorded = json.load(f)
        self.assertEqual(len(recorded["done"]), 2)
        self.every_slot_served()
        second = self.restart("--yes", "--state", state)
        writer.stop_and_verify(self)
        self.assertExit(second, 0)
        self.assertIn("continuing the run recorded in", second.out)
        self.assertEqual(sorted(self.restarter.restarted),
                         sorted(n.port for n in self.c.members()),
                         "each node restarted once over both runs")
        self.assertEqual(self.restarter.masters_hit, [])
        other = run_warden("restart", "--seed", self.c.seeds()[0], "--exec", "true",
                           "--state", state, "--yes", limit=60)
        self.assertExit(other, 2)
        self.assertIn("belongs to another run", other.err)

    def test_kill_9_of_the_command_mid_run_and_a_rerun_finishes(self):
        state = os.path.join(self.tmp, "state.json")
        args = [WARDEN_BIN, "restart", "--seed", self.c.seeds()[0], "--exec",
                self.restarter.command(), "--node-timeout", "60000", "--state", state, "--yes"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        killed = threading.Event()

        def kill_on_second(call: int) -> None:
            if call == 2:
                proc.kill()  # the CLI dies while its --exec runs
                killed.set()
        self.restarter.on_call = kill_on_second
        proc.communicate(timeout=240)
        self.assertTrue(killed.is_set())
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.restarter.on_call = None
        wait_until(lambda: self.c.converged()[0], 60, "cluster converged after the kill")
        rerun = self.restart("--yes", "--state", state)
        self.assertExit(rerun, 0)
        ports = {n.port for n in self.c.members()}
        self.assertEqual(set(self.restarter.restarted), ports, "every node restarted")
        self.assertLessEqual(len(self.restarter.restarted), len(ports) + 1,
                             "only the node in progress may be restarted twice")
        self.assertEqual(self.restarter.masters_hit, [])

    def test_refusals_and_dry_run_change_nothing(self):
        before = shape(self.c)
        dry = self.restart("--dry-run")
        self.assertExit(dry, 0)
        self.assertIn("6 node(s) to restart", dry.out)
        self.assertIn("CLUSTER FAILOVER to its best replica", dry.out)
        self.assertEqual(shape(self.c), before, "--dry-run changed CLUSTER NODES")
        self.assertEqual(self.restarter.calls, 0)
        # A slot left migrating (an interrupted reshard): restarting now could lose its keys.
        a, c = self.c.masters()[0], self.c.masters()[2]
        self.c.redis(a).execute_command("CLUSTER", "SETSLOT", 100, "MIGRATING", c.id)
        open_slot = self.restart("--yes")
        self.c.redis(a).execute_command("CLUSTER", "SETSLOT", 100, "STABLE")
        self.assertExit(open_slot, 1)
        self.assertIn("slot(s) are open", open_slot.err, open_slot.describe())
        self.assertEqual(self.restarter.calls, 0)
        # A master without a healthy replica: its slots would go away.
        b = self.c.masters()[1]
        self.c.kill(self.c.replicas_of(b)[0])
        wait_until(lambda: "fail" in json.dumps(run_warden(
            "check", "--seed", self.c.seeds()[0], "--json", limit=30).json()), 20, "flagged")
        refused = self.restart("--yes")
        self.assertExit(refused, 1)
        self.assertIn(f"master {b.address}", refused.err)
        self.assertIn("has no healthy replica", refused.err)
        self.assertEqual(self.restarter.calls, 0)


class RestartFiveMastersTest(WardenTestCase):
    """5 masters x 1 replica over three hosts: two masters share a host with another
    shard's replica, so the order and the failovers are not the 3x1 case's."""

    def test_five_by_one_every_node_once_nothing_lost(self):
        tmp = tempfile.mkdtemp(prefix="warden-restart-5-")
        c = Cluster(masters=5, replicas=1, hosts=3, node_timeout=2000,
                    extra_config=NO_NATIVE_MIGRATION).start()
        self.addCleanup(c.stop)
        restarter = Restarter(c, tmp)
        self.addCleanup(restarter.stop)
        pids_before = {n.port: n.pid for n in c.members()}
        writer = AckedWriter(c)
        run = run_warden("restart", "--seed", c.seeds()[0], "--exec", restarter.command(),
                         "--node-timeout", "60000", "--yes", limit=400)
        writer.stop_and_verify(self)
        self.assertExit(run, 0)
        self.assertEqual(sorted(restarter.restarted), sorted(pids_before))
        self.assertEqual(restarter.masters_hit, [], "a master was restarted as a master")
        self.assertIn("10 node(s) restarted", run.out)
        wait_until(lambda: c.converged()[0], 30, "cluster converged after the run")


class RestartUnderDaemonTest(WardenTestCase):
    """A daemon in heal mode watching the same config: it must not act while restart holds
    the maintenance marker, and reports maintenance meanwhile."""

    def test_the_daemon_does_not_act_and_reports_maintenance(self):
        tmp = tempfile.mkdtemp(prefix="warden-restart-daemon-")
        # A spare replica of A gives the daemon something it could move.
        c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=2000, spares=1,
                    extra_config=NO_NATIVE_MIGRATION).start()
        self.addCleanup(c.stop)
        from test_heal import meet
        meet(c, c.spares()[0], replica_of=c.masters()[0])
        restarter = Restarter(c, tmp)
        self.addCleanup(restarter.stop)
        daemon = Daemon(f"state_dir: {tmp}/state\nclusters:\n  - name: main\n"
                        f"    seeds: [{c.seeds()[0]}]\n    poll_interval: 300ms\n"
                        "    timeout: 300ms\n"
                        "    heal: {mode: heal, grace: 500ms, max_actions_per_minute: 10}\n", tmp)
        self.addCleanup(daemon.stop)
        wait_until(lambda: daemon.get("/healthz")[0] == 200, 15, "daemon healthy")
        seen = []
        restarter.on_call = lambda call: seen.append(
            metric(daemon.metrics(), "redis_warden_maintenance", cluster="main"))
        writer = AckedWriter(c)
        run = run_warden("restart", "--config", daemon.config, "--exec", restarter.command(),
                         "--node-timeout", "60000", "--yes", limit=300)
        writer.stop_and_verify(self)
        self.assertExit(run, 0)
        self.assertEqual(len(restarter.restarted), 7)
        self.assertEqual(restarter.masters_hit, [])
        self.assertTrue(seen and all(v == [1.0] for v in seen), seen)
        log = daemon.log_text()
        self.assertNotIn("acting:", log, "the daemon acted during the rolling restart")
        self.assertIn("maintenance: restart by", log)
        wait_until(lambda: metric(daemon.metrics(), "redis_warden_maintenance",
                                  cluster="main") == [0.0], 10, "maintenance over")


if __name__ == "__main__":
    unittest.main(verbosity=2)
