#!/usr/bin/python3
"""redis-warden heal (and the daemon's heal mode) on real redis-server clusters.

Each scenario runs a writer that writes keys through a cluster-aware client with WAIT 1 100
and records what was acknowledged; afterwards every acknowledged key must be readable.
Native replica migration is off (cluster-allow-replica-migration no) so that what moves a
replica is warden, not Redis."""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import threading
import time
import unittest

from redis.cluster import RedisCluster

from common import Cluster, WardenTestCase, harness, run_warden, wait_until
from test_daemon import Daemon, metric

NODE_TIMEOUT_MS = 2000
NO_NATIVE_MIGRATION = ["cluster-allow-replica-migration no"]


class AckedWriter:
    """Writes k<n> = v<n> through a cluster client; a key counts once WAIT 1 100 confirms a
    replica has it. Errors during failures are expected and simply not acknowledged."""

    def __init__(self, c: Cluster):
        seed = c.members()[0]
        self.client = RedisCluster(host=seed.host, port=seed.port, decode_responses=True,
                                   socket_timeout=1, socket_connect_timeout=1,
                                   password=c.client_password, **c.tls_client_kwargs())
        self.acked: dict[str, str] = {}
        self.errors = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        n = 0
        while self.running:
            n += 1
            key, value = f"k{n}", f"v{n}"
            try:
                node = self.client.get_node_from_key(key)
                pipe = node.redis_connection.pipeline(transaction=False)
                pipe.set(key, value)
                pipe.execute_command("WAIT", 1, 100)
                _, replicas = pipe.execute()
                if int(replicas) >= 1:
                    self.acked[key] = value
            except Exception:  # noqa: BLE001 - failures during chaos are the point
                self.errors += 1
                time.sleep(0.05)
                try:
                    self.client.nodes_manager.initialize()
                except Exception:  # noqa: BLE001
                    pass

    def stop_and_verify(self, test: unittest.TestCase) -> None:
        self.running = False
        self.thread.join(5)
        test.assertGreater(len(self.acked), 10, "the writer got almost nothing acknowledged")
        self.client.nodes_manager.initialize()
        missing = [k for k, v in self.acked.items() if self.client.get(k) != v]
        test.assertEqual(missing[:10], [], f"{len(missing)} acknowledged keys lost")
        self.client.close()


def shape(c: Cluster) -> list:
    """Roles, masters and slots as the first live member sees them (no timestamps)."""
    for n in c.members():
        if not n.alive() or n.stopped:
            continue
        view = harness.parse_cluster_nodes(c.cluster_nodes(n))
        return sorted((v["id"], v["role"], v["master_id"] or "-", " ".join(v["slots"]))
                      for v in view)
    raise AssertionError("no live member")


def meet(c: Cluster, spare, replica_of=None) -> None:
    """Join a spare as an empty master, or as a replica of `replica_of`."""
    c.redis(c.masters()[0]).execute_command("CLUSTER", "MEET", spare.host, spare.port)
    spare.role = "master"
    wait_until(lambda: all(c._knows_all(n, len(c.members())) for n in c.members()), 20,
               "spare known to every node")
    if replica_of is not None:
        c.redis(spare).execute_command("CLUSTER", "REPLICATE", replica_of.id)
        spare.role, spare.master_id = "replica", replica_of.id
    c.wait_healthy()


def role_of(c: Cluster, node) -> tuple[str, str]:
    mine = next(v for v in harness.parse_cluster_nodes(c.cluster_nodes(node)) if v["myself"])
    return mine["role"], mine["master_id"] or "-"


def link_up(c: Cluster, node) -> bool:
    return c.info(node).get("master_link_status") == "up"


def orphan_detected(c: Cluster, master) -> None:
    """Wait until the cluster itself flags the master's replica as failed."""
    def failed():
        view = harness.parse_cluster_nodes(c.cluster_nodes(master))
        return any(v["master_id"] == master.id and "fail" in v["flags"] for v in view)
    wait_until(failed, 15, "the dead replica flagged fail")


class HealTest(WardenTestCase):
    def cluster(self, **kw) -> Cluster:
        kw.setdefault("hosts", 3)
        kw.setdefault("node_timeout", NODE_TIMEOUT_MS)
        kw.setdefault("extra_config", NO_NATIVE_MIGRATION)
        c = Cluster(masters=kw.pop("masters", 3), replicas=kw.pop("replicas", 1), **kw).start()
        self.addCleanup(c.stop)
        return c

    def heal(self, c: Cluster, *extra: str, seed: str = ""):
        seed = seed or next(n.address for n in c.members() if n.alive())
        run = run_warden("heal", "--seed", seed, *c.cli_args(), *extra,
                         env=c.cli_env(), limit=60)
        self.assertNoCrash(run)
        return run

    # 1 + 5: a spare replica of A, from another host than B, covers B.
    def test_spare_replica_of_a_richer_master_covers_the_orphan_from_another_host(self):
        c = self.cluster(spares=3)  # spares on .1, .2, .3: use the ones on A's and B's hosts
        a, b, _ = c.masters()
        same_host_as_b = next(s for s in c.spares() if s.host == b.host)
        other_host = next(s for s in c.spares() if s.host != b.host)
        meet(c, same_host_as_b, replica_of=a)
        meet(c, other_host, replica_of=a)
        writer = AckedWriter(c)
        time.sleep(0.5)
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        run = self.heal(c, "--yes")
        self.assertExit(run, 0)
        self.assertIn("success:", run.out, run.describe())
        moved = [n for n in (same_host_as_b, other_host) if role_of(c, n) == ("replica", b.id)]
        self.assertEqual(len(moved), 1, run.describe())
        self.assertNotEqual(moved[0].host, b.host, "the new replica shares B's host")
        self.assertTrue(link_up(c, moved[0]))
        self.assertEqual(role_of(c, a)[0], "master")
        self.assertEqual(len([n for n in (same_host_as_b, other_host)
                              if role_of(c, n) == ("replica", a.id)]), 1, "A kept one replica")
        writer.stop_and_verify(self)

    # The last healthy replica is never taken: nothing to do, exit 1, cluster unchanged.
    def test_no_spare_capacity_means_no_action_and_exit_1(self):
        c = self.cluster()
        b = c.masters()[1]
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        before = shape(c)
        run = self.heal(c, "--yes")
        self.assertExit(run, 1)
        self.assertIn("unmet: master", run.out)
        self.assertEqual(shape(c), before)

    # 3: a spare from --spare joins with CLUSTER MEET and covers the orphan.
    def test_spare_node_joins_and_covers_the_orphan(self):
        c = self.cluster(spares=1)
        b = c.masters()[1]
        spare = c.spares()[0]
        writer = AckedWriter(c)
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        run = self.heal(c, "--yes", "--spare", spare.address)
        self.assertExit(run, 0)
        self.assertIn("CLUSTER MEET", run.out)
        self.assertEqual(role_of(c, spare), ("replica", b.id), run.describe())
        self.assertTrue(link_up(c, spare))
        writer.stop_and_verify(self)

    # 4: the master dies, its replica is promoted, and the new orphan is covered.
    def test_promoted_replica_is_covered_after_its_master_dies(self):
        c = self.cluster(spares=1)
        a, b, _ = c.masters()
        spare = c.spares()[0]
        meet(c, spare, replica_of=a)
        writer = AckedWriter(c)
        time.sleep(0.5)
        c.kill(b)
        promoted = c.wait_for_failover(b)
        wait_until(lambda: "cluster_state:ok" in c.redis(a).execute_command("CLUSTER", "INFO"),
                   20, "cluster_state ok after failover")
        run = self.heal(c, "--yes")
        self.assertExit(run, 0)
        self.assertEqual(role_of(c, spare), ("replica", promoted.id), run.describe())
        wait_until(lambda: link_up(c, spare), 10, "link up")
        writer.stop_and_verify(self)

    # 6: a frozen master blocks acting; the reason is printed; nothing changes.
    def test_frozen_master_blocks_the_action_with_its_reason(self):
        c = self.cluster(spares=1)
        a, b, frozen = c.masters()
        meet(c, c.spares()[0], replica_of=a)
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        c.stop_node(frozen)
        try:
            before = shape(c)
            run = self.heal(c, "--yes", "--timeout", "300")
            self.assertExit(run, 1)
            self.assertIn("not safe to act now", run.out)
            self.assertIn(f"master {frozen.address} serving slots is unreachable", run.out)
            self.assertIn("skipped:", run.out)
            self.assertEqual(shape(c), before)
        finally:
            c.cont_node(frozen)

    # 8: --dry-run and observe mode never change the cluster.
    def test_dry_run_and_observe_mode_change_nothing(self):
        c = self.cluster(spares=1)
        a, b, _ = c.masters()
        meet(c, c.spares()[0], replica_of=a)
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        before = shape(c)
        run = self.heal(c, "--dry-run")
        self.assertExit(run, 0)
        self.assertIn("1 action(s)", run.out)
        run = self.heal(c)  # no --yes and stdin not a terminal: refuses
        self.assertExit(run, 2)
        with tempfile.TemporaryDirectory(prefix="warden-heal-") as tmp:
            daemon = Daemon(f"clusters:\n  - name: main\n    seeds: [{a.address}]\n"
                            "    poll_interval: 300ms\n    timeout: 300ms\n"
                            "    heal: {mode: observe, grace: 100ms}\n", tmp)
            try:
                wait_until(lambda: "would act" in daemon.log_text(), 15, "observe-mode plan log")
                time.sleep(2)
                self.assertEqual(metric(daemon.metrics(), "redis_warden_planned_actions",
                                        cluster="main"), [1.0])
                self.assertEqual(sum(metric(daemon.metrics(), "redis_warden_actions_total",
                                            cluster="main")), 0)
            finally:
                daemon.stop()
        self.assertEqual(shape(c), before)

    # Acting needs rights: a user that may not run CLUSTER REPLICATE gets a clear failure
    # naming the command, no retry, and its password appears nowhere.
    def test_missing_rights_are_a_clear_failure_and_the_password_stays_secret(self):
        c = self.cluster(spares=1, password="admin-Secret-1")
        a, b, _ = c.masters()
        meet(c, c.spares()[0], replica_of=a)
        watcher_password = "watcher-Secret-2"
        for n in c.members():
            c.redis(n).execute_command("ACL", "SETUSER", "watcher", "on", ">" + watcher_password,
                                       "~*", "&*", "+@all", "-cluster|replicate")
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        before = shape(c)
        env = dict(c.cli_env(), REDISCLI_AUTH=watcher_password)
        run = run_warden("heal", "--seed", a.address, "--user", "watcher", "--yes", env=env,
                         limit=60)
        self.assertNoCrash(run)
        self.assertExit(run, 1)
        self.assertIn("may not run CLUSTER REPLICATE (NOPERM", run.out, run.describe())
        self.assertEqual(run.out.count("CLUSTER REPLICATE "), 2, "one attempt, no retries")
        self.assertNotIn(watcher_password, run.out + run.err)
        self.assertEqual(shape(c), before)

    # 7: three of five masters die at once. Redis alone stays down (two masters cannot
    # elect anyone); warden reports quorum_lost, and with --takeover brings the cluster back.
    def test_takeover_restores_a_cluster_that_lost_quorum(self):
        c = self.cluster(masters=5, replicas=1)
        victims = c.masters()[:3]
        survivor = c.masters()[4]
        for master in victims:
            c.kill(master)
        killed_at = time.monotonic()
        wait_until(lambda: "cluster_state:fail" in c.redis(survivor).execute_command(
            "CLUSTER", "INFO"), 20, "cluster_state fail")
        run, report = self.check_json(c, survivor.address)
        self.assertIn("quorum_lost", [f["code"] for f in report["findings"]])
        no_takeover = self.heal(c, "--yes")
        self.assertExit(no_takeover, 1)
        self.assertNotIn("FAILOVER TAKEOVER", no_takeover.out)
        self.assertIn("quorum lost: 2 of 5 voting masters healthy", no_takeover.out)
        # Until every live view suspects them, the victims are not agreed dead.
        wait_until(lambda: self.heal(c, "--dry-run", "--takeover", "--takeover-after", "60000")
                   .out.count("takeover after 60.0 s") == 3, 10, "three masters agreed dead")
        time.sleep(max(0.0, 4.5 - (time.monotonic() - killed_at)))
        self.assertIn("cluster_state:fail", c.redis(survivor).execute_command("CLUSTER", "INFO"))
        run = self.heal(c, "--yes", "--takeover", "--takeover-after", "4000")
        self.assertExit(run, 0)
        self.assertIn("CLUSTER FAILOVER TAKEOVER sent to", run.out)
        self.assertIn("success:", run.out)
        ok_since = time.monotonic()
        live = [n for n in c.members() if n not in victims]
        wait_until(lambda: all("cluster_state:ok" in c.redis(n).execute_command("CLUSTER", "INFO")
                               for n in live), 40, "cluster_state ok on every live node")
        print(f"\n  cluster_state ok {time.monotonic() - ok_since:.2f} s after the takeover "
              f"({time.monotonic() - killed_at:.2f} s after the kills)")

    # 2, through the daemon: an empty master becomes the replica (Redis never does this).
    def test_daemon_heal_mode_turns_an_empty_master_into_the_replica(self):
        c = self.cluster(spares=1)
        b = c.masters()[1]
        empty = c.spares()[0]
        meet(c, empty)
        writer = AckedWriter(c)
        with tempfile.TemporaryDirectory(prefix="warden-heal-") as tmp:
            daemon = Daemon(f"clusters:\n  - name: main\n    seeds: [{b.address}]\n"
                            "    poll_interval: 300ms\n    timeout: 300ms\n"
                            "    heal: {mode: heal, grace: 1s, max_actions_per_minute: 2}\n",
                            tmp)
            try:
                wait_until(lambda: daemon.get("/healthz")[0] == 200, 15, "daemon healthy")
                killed_at = time.monotonic()
                c.kill(c.replicas_of(b)[0])
                wait_until(lambda: metric(daemon.metrics(), "redis_warden_actions_total",
                                          cluster="main", action="replicate",
                                          outcome="success") == [1.0], 30,
                           "one successful replicate action")
                covered = time.monotonic() - killed_at
                self.assertEqual(role_of(c, empty), ("replica", b.id))
                self.assertTrue(link_up(c, empty))
                log = daemon.log_text()
                self.assertIn("acting:", log)
                self.assertIn("outcome=success", log)
                time.sleep(1.5)  # no second action once covered
                self.assertEqual(metric(daemon.metrics(), "redis_warden_planned_actions",
                                        cluster="main"), [0.0])
                print(f"\n  orphan covered {covered:.2f} s after the replica's SIGKILL")
            finally:
                daemon.stop()
        writer.stop_and_verify(self)


# Redis' own default since 7.0 (the harness sets 0 so that other tests sync at once).
DEFAULT_SYNC_DELAY = ["repl-diskless-sync yes", "repl-diskless-sync-delay 5"]


def sync_delay(c: Cluster, node) -> str:
    return c.redis(node).config_get("repl-diskless-sync-delay")["repl-diskless-sync-delay"]


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


class FastSyncTest(WardenTestCase):
    """heal.fast_sync on servers with Redis' default diskless-sync delay: the new master
    syncs at once, gets its delay back, and a restarted warden puts back what another left."""

    cluster = HealTest.cluster
    heal = HealTest.heal

    def test_heal_lowers_the_delay_for_the_move_and_puts_it_back(self):
        c = self.cluster(spares=1, extra_config=NO_NATIVE_MIGRATION + DEFAULT_SYNC_DELAY)
        a, b, _ = c.masters()
        meet(c, c.spares()[0], replica_of=a)
        writer = AckedWriter(c)
        time.sleep(0.5)
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        with tempfile.TemporaryDirectory(prefix="warden-state-") as state:
            run = self.heal(c, "--yes", "--state-dir", state)
            self.assertExit(run, 0)
            self.assertIn(f"fast sync: repl-diskless-sync-delay 5 -> 0 on the master for the move",
                          run.out, run.describe())
            self.assertIn(f"repl-diskless-sync-delay 5 put back on {b.address}", run.out,
                          run.describe())
            self.assertEqual(read_json(os.path.join(state, "fast-sync-ledger.json")), [])
        self.assertEqual(sync_delay(c, b), "5")
        # Verified once link is up: with the server's 5 s delay that cannot be under 5 s.
        verified = float(re.search(r"verified after ([0-9.]+) s", run.out).group(1))
        self.assertLess(verified, 4.0, run.describe())
        print(f"\n  the moved replica verified after {verified:.1f} s (server delay 5 s)")
        writer.stop_and_verify(self)

    def test_no_fast_sync_leaves_the_master_alone(self):
        c = self.cluster(spares=1, extra_config=NO_NATIVE_MIGRATION + DEFAULT_SYNC_DELAY)
        a, b, _ = c.masters()
        meet(c, c.spares()[0], replica_of=a)
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        with tempfile.TemporaryDirectory(prefix="warden-state-") as state:
            run = self.heal(c, "--yes", "--state-dir", state, "--no-fast-sync")
        self.assertExit(run, 0)
        self.assertIn("fast sync: not used", run.out, run.describe())
        self.assertIn("heal.fast_sync is off", run.out)
        self.assertEqual(sync_delay(c, b), "5")

    def test_a_move_that_fails_after_lowering_puts_the_delay_back(self):
        c = self.cluster(spares=1, password="admin-Secret-1",
                         extra_config=NO_NATIVE_MIGRATION + DEFAULT_SYNC_DELAY)
        a, b, _ = c.masters()
        meet(c, c.spares()[0], replica_of=a)
        # May lower the delay (CONFIG) but not move the replica: the move fails half-way.
        for n in c.members():
            c.redis(n).execute_command("ACL", "SETUSER", "mover", "on", ">mover-Secret-3", "~*",
                                       "&*", "+@all", "-cluster|replicate")
        c.kill(c.replicas_of(b)[0])
        orphan_detected(c, b)
        before = shape(c)
        with tempfile.TemporaryDirectory(prefix="warden-state-") as state:
            env = dict(c.cli_env(), REDISCLI_AUTH="mover-Secret-3")
            run = run_warden("heal", "--seed", a.address, "--user", "mover", "--yes",
                             "--state-dir", state, env=env, limit=60)
            self.assertNoCrash(run)
            self.assertExit(run, 1)
            self.assertIn("repl-diskless-sync-delay 5 -> 0", run.out, run.describe())
            self.assertIn("may not run CLUSTER REPLICATE (NOPERM", run.out)
            self.assertIn(f"repl-diskless-sync-delay 5 put back on {b.address}", run.out)
            self.assertEqual(read_json(os.path.join(state, "fast-sync-ledger.json")), [])
        self.assertEqual(sync_delay(c, b), "5")
        self.assertEqual(shape(c), before)

    def test_a_restarted_daemon_puts_back_what_a_stopped_warden_left(self):
        c = self.cluster(replicas=0, hosts=1, extra_config=DEFAULT_SYNC_DELAY)
        left, moved, changed = c.masters()
        for node in (left, moved, changed):
            c.redis(node).config_set("repl-diskless-sync-delay", 0)
        c.redis(changed).config_set("repl-diskless-sync-delay", 3)  # an operator's since
        with tempfile.TemporaryDirectory(prefix="warden-state-") as state:
            def record(node, node_id):
                return {"cluster": "main", "node_id": node_id, "address": node.address,
                        "parameter": "repl-diskless-sync-delay", "value": "5",
                        "lowered_to": "0", "owner": f"{socket.gethostname()}:999999999",
                        "since": time.time()}
            ledger = os.path.join(state, "fast-sync-ledger.json")
            with open(ledger, "w") as f:
                json.dump([record(left, left.id), record(moved, "0" * 40),
                           record(changed, changed.id)], f)
            daemon = Daemon(f"state_dir: {state}\nclusters:\n  - name: main\n"
                            f"    seeds: [{left.address}]\n    poll_interval: 300ms\n", state)
            try:
                wait_until(lambda: read_json(ledger) == [], 15, "the ledger emptied")
                log = daemon.log_text()
            finally:
                daemon.stop()
        self.assertEqual(sync_delay(c, left), "5", log)
        self.assertEqual(sync_delay(c, moved), "0", "put back onto a node it was not set on")
        self.assertEqual(sync_delay(c, changed), "3", "an operator's later value overridden")
        self.assertIn(f"repl-diskless-sync-delay 5 put back on {left.address}", log)
        self.assertIn(f"{moved.address} is no longer node {'0' * 40}", log)
        self.assertIn("left as is", log)


if __name__ == "__main__":
    unittest.main()
