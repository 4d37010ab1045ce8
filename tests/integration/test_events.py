#!/usr/bin/python3
"""Events (issue 19) against a real 3x1 cluster with a client writing through it: a master
SIGKILLed -> a `failover` event naming the old and the new master in GET /events, in the
log and in the metrics; a restarted daemon does not announce that failover again."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from redis.cluster import RedisCluster

from common import Cluster, wait_until
import test_daemon as daemon_helpers  # the Daemon runner (a module, so its tests stay there)

POLL_MS = 300
NODE_TIMEOUT_MS = 2000
# Redis promotes a replica node-timeout after the kill plus its election delay (500 ms +
# up to 500 ms random + rank x 1 s; one replica: rank 0).
ELECTION_DELAY_S = 1.0
# redis-py logs every failed (re)discovery through the dead master with its traceback.
logging.getLogger("redis.cluster").setLevel(logging.CRITICAL)


class Writer:
    """SET k<n> through a cluster client until stopped; errors during the failover count."""

    def __init__(self, seed):
        self.client = RedisCluster(host=seed.host, port=seed.port, socket_timeout=1,
                                   socket_connect_timeout=1)
        self.written = 0
        self.errors = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        n = 0
        while self.running:
            n += 1
            key = f"k{n}"
            try:
                # Straight to the slot's master (as test_heal's writer does): RedisCluster's
                # own retry loop prints every failure it retries.
                self.client.get_node_from_key(key).redis_connection.set(key, f"v{n}")
                self.written += 1
            except Exception:  # noqa: BLE001 - failures during the failover are expected
                self.errors += 1
                time.sleep(0.05)
                try:
                    self.client.nodes_manager.initialize()
                except Exception:  # noqa: BLE001
                    pass

    def stop(self) -> None:
        self.running = False
        self.thread.join(5)
        self.client.close()


def events(d: "daemon_helpers.Daemon", since: int = 0) -> list[dict]:
    status, body = d.get(f"/events?since={since}")
    assert status == 200, (status, body)
    return json.loads(body)["events"]


def failovers(d: "daemon_helpers.Daemon") -> list[dict]:
    return [e for e in events(d) if e["type"] == "failover"]


class EventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(masters=3, replicas=1, hosts=3, node_timeout=NODE_TIMEOUT_MS).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-events-")
        cls.state_dir = os.path.join(cls.tmp.name, "state")
        os.mkdir(cls.state_dir)
        cls.config = (f"state_dir: {cls.state_dir}\nevents: {{keep: 50}}\n"
                      f"log: {{format: json}}\n"
                      f"clusters:\n  - name: main\n    seeds: [{', '.join(cls.cluster.seeds())}]\n"
                      f"    poll_interval: {POLL_MS}ms\n    timeout: 300ms\n")
        cls.daemons = []

    @classmethod
    def tearDownClass(cls):
        for d in cls.daemons:
            d.stop()
        cls.cluster.stop()
        cls.tmp.cleanup()

    def start_daemon(self, name: str) -> "daemon_helpers.Daemon":
        directory = os.path.join(self.tmp.name, name)
        os.mkdir(directory)
        d = daemon_helpers.Daemon(self.config, directory)
        self.daemons.append(d)

        def healthy() -> bool:
            try:
                return d.get("/healthz")[0] == 200
            except OSError:
                return False

        wait_until(healthy, 15, f"daemon {name} healthy")
        return d

    def test_a_killed_master_is_one_failover_event_never_announced_again(self):
        first = self.start_daemon("first")
        master = self.cluster.masters()[0]
        replica = self.cluster.replicas_of(master)[0]
        writer = Writer(replica)  # seeded by a node that stays up
        try:
            wait_until(lambda: writer.written > 50, 10, "the writer writing")
            self.assertEqual(failovers(first), [])
            killed = time.monotonic()
            self.cluster.kill(master, signal.SIGKILL)
            bound = NODE_TIMEOUT_MS / 1000 + ELECTION_DELAY_S + 2 * POLL_MS / 1000 + 1.5
            try:
                wait_until(lambda: failovers(first), bound + 5, "a failover event")
            except Exception:
                print(json.dumps(events(first), indent=1)[-4000:], first.log_text()[-3000:])
                raise
            seen_after = time.monotonic() - killed
            print(f"failover event {seen_after:.2f} s after SIGKILL (bound {bound:.2f} s)")
            self.assertLessEqual(seen_after, bound)
        finally:
            writer.stop()
        self.assertGreater(writer.written, 50)

        [event] = failovers(first)
        self.assertEqual(event["cluster"], "main")
        self.assertEqual(event["severity"], "critical")
        self.assertEqual(event["details"]["kind"], "automatic")
        self.assertEqual(event["details"]["old_master"]["address"], master.address)
        self.assertEqual(event["details"]["new_master"]["address"], replica.address)
        self.assertEqual(event["nodes"], [event["details"]["old_master"]["id"],
                                          event["details"]["new_master"]["id"]])
        self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        epoch = event["details"]["config_epoch"]

        # The log has it, one JSON line; the metrics count it and promtool accepts them.
        lines = [line for line in first.log_text().splitlines() if "event=failover" in line]
        self.assertEqual(len(lines), 1, first.log_text()[-3000:])
        self.assertIn(master.address, json.loads(lines[0])["msg"])
        text = first.metrics()
        self.assertEqual(daemon_helpers.metric(text, "redis_warden_failovers_total",
                                               cluster="main"), [1.0])
        self.assertEqual(daemon_helpers.metric(text, "redis_warden_events_total", cluster="main",
                                               type="failover"), [1.0])
        self.assertTrue(daemon_helpers.metric(text, "redis_warden_last_failover_timestamp_seconds",
                                              cluster="main"))
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

        # The incremental read: ascending ids, only those after `since`; a bad since is 400.
        everything = events(first)
        ids = [e["id"] for e in everything]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual([e["id"] for e in events(first, ids[0])], ids[1:])
        self.assertEqual(events(first, ids[-1]), [])
        self.assertEqual(first.get("/events?since=soon")[0], 400)
        self.assertIn("node_failing", [e["type"] for e in everything])

        # The epoch is kept in state_dir; a restarted daemon announces nothing again, also
        # while the old master comes back (as a replica of the new one).
        with open(os.path.join(self.state_dir, "failovers-main.json")) as f:
            self.assertEqual(json.load(f), {"announced_epoch": epoch})
        self.assertEqual(first.terminate()[0], 0)
        second = self.start_daemon("second")
        self.cluster.restart(master)
        wait_until(lambda: "node_recovered" in [e["type"] for e in events(second)], 20,
                   "the old master recovered")
        time.sleep(3 * POLL_MS / 1000)  # a few more polls to announce anything they would
        self.assertEqual(failovers(second), [])
        self.assertEqual(daemon_helpers.metric(second.metrics(), "redis_warden_failovers_total",
                                               cluster="main"), [0.0])
        self.assertNotIn("event=failover", second.log_text())


if __name__ == "__main__":
    unittest.main()
