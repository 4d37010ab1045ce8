#!/usr/bin/python3
"""redis-warden rebalance on a real password-protected cluster: mixed types, TTLs, hash
tags and a 10 MB list; an empty master added; every key present once with its value and
TTL afterwards; kill -9 midway and rerun; --dry-run; BUSYKEY."""

from __future__ import annotations

import signal
import subprocess
import time
import unittest

import redis
from redis.cluster import RedisCluster

from common import (WARDEN_BIN, Cluster, WardenTestCase, harness, logical_snapshot, run_warden,
                    wait_until, write_mixed_keys)

PASSWORD = "rebalance-Pw-7"
KEYS = 200000        # the main test: every key survives a rebalance onto an empty master
SMALLER_KEYS = 40000  # the interruption tests: enough for slots with keys on both sides


def client(c: Cluster, decode: bool = False) -> RedisCluster:
    seed = c.masters()[0]
    return RedisCluster(host=seed.host, port=seed.port, password=PASSWORD,
                        decode_responses=decode, socket_timeout=10)


def load(c: Cluster, keys: int = KEYS) -> None:
    rc = client(c, decode=True)
    write_mixed_keys(rc.pipeline(), keys, "k", lambda i: 3600 if i % 3 == 0 else None)
    big = rc.pipeline()
    for _ in range(10):
        big.rpush("biglist", *["y" * 1000] * 1000)  # 10 x 1 MB
    big.execute()
    rc.close()


def snapshot(c: Cluster) -> dict:
    """key -> (logical value, PTTL) over every master (DUMP bytes differ for equal sets)."""
    return logical_snapshot([c.redis(m, decode=False) for m in c.masters()])


def add_empty_master(c: Cluster):
    spare = c.spares()[0]
    c.redis(c.masters()[0]).execute_command("CLUSTER", "MEET", spare.host, spare.port)
    spare.role = "master"  # no wait: rebalance itself must wait for every node to know it
    return spare


class RebalanceTest(WardenTestCase):
    def setUp(self):
        self.c = Cluster(masters=3, replicas=0, spares=1, password=PASSWORD).start()
        self.addCleanup(self.c.stop)
        full = self._testMethodName == "test_empty_master_gets_its_share_and_every_key_survives"
        load(self.c, KEYS if full else SMALLER_KEYS)
        self.before_started = time.monotonic()
        self.before = snapshot(self.c)
        self.before_finished = time.monotonic()

    def rebalance(self, *extra: str, limit: float = 120):
        run = run_warden("rebalance", "--seed", self.c.masters()[0].address, *extra,
                         env=self.c.cli_env(), limit=limit)
        self.assertNoCrash(run)
        self.assertNotIn(PASSWORD, run.out + run.err)
        return run

    def assert_intact(self, slots_per_master: int, threshold: float = 2.0):
        self.c.refresh()
        # Each key's two reads happened somewhere within the two snapshots' spans.
        least_ms = (time.monotonic() - self.before_finished) * 1000
        after = snapshot(self.c)
        most_ms = (time.monotonic() - self.before_started) * 1000
        self.assertEqual(set(after), set(self.before), "keys appeared or vanished")
        for key, (payload, ttl) in self.before.items():
            new_payload, new_ttl = after[key]
            self.assertEqual(new_payload, payload, f"value of {key!r} changed")
            if ttl < 0:
                self.assertEqual(new_ttl, ttl, f"TTL of {key!r} changed")
            else:
                # The TTL runs down meanwhile; it must be neither reset nor lost (+-2 s).
                self.assertGreaterEqual(new_ttl, ttl - most_ms - 2000, key)
                self.assertLessEqual(new_ttl, ttl - least_ms + 2000, key)
        view = harness.parse_cluster_nodes(self.c.cluster_nodes(self.c.masters()[0]))
        self.assertFalse([v for v in view for s in v["slots"] if s.startswith("[")],
                         "a slot is still open")
        covered = 0
        for v in view:
            count = 0
            for s in v["slots"]:
                first, _, last = s.partition("-")
                count += int(last or first) - int(first) + 1
            covered += count
            if v["role"] == "master":
                self.assertLessEqual(abs(count - slots_per_master),
                                     slots_per_master * threshold / 100 + 1, v)
        self.assertEqual(covered, 16384)

    def test_empty_master_gets_its_share_and_every_key_survives(self):
        added = add_empty_master(self.c)
        dry = self.rebalance("--use-empty-masters", "--dry-run")
        self.assertEqual(dry.rc, 0, dry.describe())
        self.assertIn("4096 slot(s) in 3 move(s)", dry.out)
        rows = [line.split() for line in dry.out.splitlines()[2:5]]
        planned_keys = sum(int(row[3]) for row in rows)
        self.assertEqual({k: v for k, (v, _) in snapshot(self.c).items()},
                         {k: v for k, (v, _) in self.before.items()}, "--dry-run changed data")
        run = self.rebalance("--use-empty-masters", "--yes")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertIn("moved 4096 slot(s)", run.out)
        self.assertEqual(self.c.redis(added).dbsize(), planned_keys,
                         "the plan's key counts are not what moved")
        self.assert_intact(4096)
        again = self.rebalance("--use-empty-masters", "--yes")
        self.assertIn("nothing to move", again.out)

    def test_kill_9_midway_then_rerun_finishes_without_loss(self):
        add_empty_master(self.c)
        proc = subprocess.Popen([WARDEN_BIN, "rebalance", "--seed", self.c.masters()[0].address,
                                 "--use-empty-masters", "--yes", "--parallel", "1",
                                 "--pipeline", "10"],
                                env=self.c.cli_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                line = proc.stderr.readline()
                if line.startswith("slots ") and int(line.split()[1].split("/")[0]) >= 300:
                    break
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()
        run = self.rebalance("--use-empty-masters", "--yes")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertNotIn("moved 4096 slot(s)", run.out, "the kill did not land midway")
        print(f"\n  rerun after kill -9: {run.out.strip().splitlines()[0]}")
        self.assert_intact(4096)

    def open_a_slot_halfway(self) -> tuple[int, object, list]:
        """A slot MIGRATING/IMPORTING with 3 of its keys already on the target, as if a run
        died after its first batch. Returns (slot, target node, the slot's keys)."""
        a, b, _ = self.c.masters()
        slot = self.c.redis(a).execute_command("CLUSTER", "KEYSLOT", "{user7}")
        owner = next(m for m in self.c.masters()
                     if any(int(r.split("-")[0]) <= slot <= int(r.split("-")[-1])
                            for r in next(v for v in harness.parse_cluster_nodes(
                                self.c.cluster_nodes(m)) if v["myself"])["slots"]))
        target = b if owner is not b else a
        rs, rt = self.c.redis(owner), self.c.redis(target)
        keys = rs.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100)
        self.assertGreater(len(keys), 3)
        rt.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", owner.id)
        rs.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target.id)
        rs.execute_command("MIGRATE", target.host, target.port, "", 0, 5000, "AUTH", PASSWORD,
                           "KEYS", *keys[:3])
        return slot, target, keys

    def assert_slot_finished(self, slot: int, target, keys: list, run) -> None:
        self.assertIn(f"slot {slot}: left open by an interrupted run, finished", run.out)
        self.assertEqual(self.c.redis(target).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot),
                         len(keys))
        after = snapshot(self.c)
        self.assertEqual({k: v for k, (v, _) in after.items()},
                         {k: v for k, (v, _) in self.before.items()})

    def test_a_slot_left_open_with_keys_on_both_sides_is_finished_first(self):
        slot, target, keys = self.open_a_slot_halfway()
        dry = self.rebalance("--dry-run")
        self.assertIn("left open by an interrupted run would be finished first", dry.out)
        run = self.rebalance("--yes")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertIn("finishing 2 slot state(s)", run.out)
        self.assert_slot_finished(slot, target, keys, run)

    def test_heal_finishes_a_slot_left_open_too(self):
        slot, target, keys = self.open_a_slot_halfway()
        run = run_warden("heal", "--seed", self.c.masters()[0].address, "--yes",
                         env=self.c.cli_env(), limit=60)
        self.assertNoCrash(run)
        self.assertIn("2 slot state(s) left MIGRATING/IMPORTING", run.out)
        # No replica anywhere: the three orphaned masters stay unmet, so heal exits 1.
        self.assertEqual(run.rc, 1, run.describe())
        self.assertEqual(run.out.count("unmet: master"), 3, run.describe())
        self.assert_slot_finished(slot, target, keys, run)

    def test_ctrl_c_finishes_the_chunks_in_flight_and_leaves_no_slot_open(self):
        add_empty_master(self.c)
        proc = subprocess.Popen([WARDEN_BIN, "rebalance", "--seed", self.c.masters()[0].address,
                                 "--use-empty-masters", "--yes", "--pipeline", "10"],
                                env=self.c.cli_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if line.startswith("slots ") and int(line.split()[1].split("/")[0]) >= 200:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, out + err)
        self.assertIn("interrupted", err)
        view = harness.parse_cluster_nodes(self.c.cluster_nodes(self.c.masters()[0]))
        self.assertFalse([s for v in view for s in v["slots"] if s.startswith("[")],
                         "Ctrl-C left a slot open")
        run = self.rebalance("--use-empty-masters", "--yes")
        self.assertEqual(run.rc, 0, run.describe())
        self.assert_intact(4096)

    def test_busykey_stops_with_a_clear_message(self):
        a, b, _ = self.c.masters()
        rb = self.c.redis(b)
        slot = 100  # served by a
        key = next(k for k in (f"x{i}" for i in range(100000))
                   if rb.execute_command("CLUSTER", "KEYSLOT", k) == slot)
        self.c.redis(a).set(key, "on a")
        rb.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", a.id)
        pipe = rb.pipeline(transaction=False)
        pipe.execute_command("ASKING")
        pipe.set(key, "stale copy on b")
        pipe.execute()
        rb.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
        run = self.rebalance("--move", str(slot), "--to", b.address, "--yes")
        self.assertEqual(run.rc, 1, run.describe())
        self.assertIn("BUSYKEY", run.err)
        self.assertIn("--replace", run.err)
        fixed = self.rebalance("--move", str(slot), "--to", b.address, "--yes", "--replace")
        self.assertEqual(fixed.rc, 0, fixed.describe())
        self.assertEqual(rb.get(key), "on a")


class AclUserReshard(WardenTestCase):
    def test_manual_move_as_an_acl_user_uses_auth2_for_migrate(self):
        with Cluster(masters=3, replicas=0, user="mover", user_password="mover-Pw-5") as c:
            a, b, _ = c.masters()
            rc = RedisCluster(host=a.host, port=a.port, username="mover", password="mover-Pw-5",
                              decode_responses=True)
            for i in range(2000):
                rc.set(f"acl{i}", i)
            run = run_warden("rebalance", "--seed", a.address, "--user", "mover", "--move",
                             "0-99", "--to", b.address, "--yes", env=c.cli_env(), limit=60)
            self.assertNoCrash(run)
            self.assertEqual(run.rc, 0, run.describe())
            self.assertNotIn("mover-Pw-5", run.out + run.err)
            mine = next(v for v in harness.parse_cluster_nodes(c.cluster_nodes(b)) if v["myself"])
            self.assertIn("0-99", mine["slots"])
            rc = RedisCluster(host=a.host, port=a.port, username="mover", password="mover-Pw-5",
                              decode_responses=True)
            self.assertEqual([rc.get(f"acl{i}") for i in range(2000)],
                             [str(i) for i in range(2000)])


if __name__ == "__main__":
    unittest.main()
