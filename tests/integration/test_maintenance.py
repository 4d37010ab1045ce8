#!/usr/bin/python3
"""Maintenance windows on real redis-server clusters: a daemon in heal mode that sees an
orphan does not act while a marker is set (by `redis-warden maintenance on`, or held by a
planned operation), exports redis_warden_maintenance 1 and shows the marker in /status; once
the marker is gone it heals. Both stores: a file in state_dir (no coordination) and an etcd
key on a lease (a real etcd, as in test_coordination.py)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
import unittest

from common import WARDEN_BIN, WardenTestCase, run_warden, wait_until
from test_coordination import POLL_S, CoordinationBase, Instance, _b64
from test_daemon import metric
from test_heal import link_up, role_of


class MaintenanceScenario:
    """Shared by both stores: the 3x1 cluster with a spare replica of A (CoordinationBase)."""

    def daemon(self) -> Instance:
        raise NotImplementedError

    def maintenance(self, w: Instance, *args: str):
        run = run_warden("maintenance", *args, "--config", w.config, limit=30)
        self.assertNoCrash(run)
        return run

    def marker_in_status(self, w: Instance):
        return json.loads(w.get("/status")[1])["clusters"][0]["maintenance"]

    def gauge(self, w: Instance) -> list[float]:
        return metric(w.metrics(), "redis_warden_maintenance", cluster="main")

    def test_a_window_keeps_the_daemon_from_healing_and_off_lets_it(self):
        w = self.daemon()
        wait_until(lambda: self.gauge(w) == [0.0], 15, "maintenance gauge 0")
        on = self.maintenance(w, "on", "--for", "10m", "--reason", "patching host 2")
        self.assertExit(on, 0)
        self.assertIn("maintenance on until", on.out)
        wait_until(lambda: self.gauge(w) == [1.0], 10, "maintenance gauge 1")
        marker = self.marker_in_status(w)
        self.assertEqual((marker["operation"], marker["reason"]), ("manual", "patching host 2"))
        self.assertGreater(marker["until"], time.time() + 500)
        status = self.maintenance(w, "status")
        self.assertExit(status, 0)
        self.assertIn("main: maintenance: manual by", status.out)
        self.assertIn("patching host 2, until", status.out)

        b = self.orphan_b()
        wait_until(lambda: "outcome=skipped: maintenance (manual by" in w.log_text(), 20,
                   "the heal action skipped for maintenance")
        time.sleep(2)  # well past heal.grace: still nothing done
        self.assertEqual(w.actions("success"), 0)
        self.assertEqual(role_of(self.c, self.spare)[1], self.c.masters()[0].id)
        self.assertEqual(w.log_text().count("outcome=skipped: maintenance"), 1,
                         "the skip is logged once, not every poll")

        off = self.maintenance(w, "off")
        self.assertExit(off, 0)
        self.assertIn("main: maintenance off", off.out)
        wait_until(lambda: w.actions("success") == 1, 30, "the orphan healed after the window")
        wait_until(lambda: role_of(self.c, self.spare) == ("replica", b.id), 10, "spare moved")
        wait_until(lambda: link_up(self.c, self.spare), 15, "link up")
        self.assertEqual(self.gauge(w), [0.0])
        self.assertIsNone(self.marker_in_status(w))
        again = self.maintenance(w, "off")
        self.assertIn("no maintenance marker was set", again.out)

    def test_usage_errors(self):
        w = self.daemon()
        for args, wanted in ((("off", "--for", "1h"), "--for and --reason go with"),
                             (("on", "--for", "0s"), "expected a duration"),
                             (("on", "--for", "200h"), "at most 7 days"),
                             (("on", "--cluster-name", "nope"), "no cluster named 'nope'")):
            run = self.maintenance(w, *args)
            self.assertExit(run, 2)
            self.assertIn(wanted, run.err, args)


class FileMaintenanceTest(MaintenanceScenario, CoordinationBase):
    """No coordination: the marker is <state_dir>/maintenance-main.json."""

    def daemon(self) -> Instance:
        self.state = os.path.join(self.tmp, "state")
        config = (f"state_dir: {self.state}\n"
                  f"clusters:\n  - name: main\n    seeds: [{self.c.masters()[0].address}]\n"
                  f"    poll_interval: {int(POLL_S * 1000)}ms\n    timeout: 300ms\n"
                  "    heal: {mode: heal, grace: 1s, max_actions_per_minute: 2}\n")
        w = Instance(config, os.path.join(self.tmp, "warden-0"))
        self.addCleanup(w.stop)
        return w

    def write_marker(self, operation: str, holder: str, until: float) -> str:
        os.makedirs(self.state, exist_ok=True)
        path = os.path.join(self.state, "maintenance-main.json")
        with open(path, "w") as f:
            json.dump({"operation": operation, "reason": "by the test", "holder": holder,
                       "since": time.time(), "until": until}, f)
        return path

    def test_an_operation_refuses_under_another_and_runs_inside_a_window(self):
        w = self.daemon()
        me = f"{socket.gethostname()}:{os.getpid()}"  # a live process: this test
        path = self.write_marker("restart", me, time.time() + 600)
        a = self.c.masters()[0]
        failover = ["failover", "--config", w.config, "--master", a.address, "--yes"]
        refused = run_warden(*failover, limit=60)
        self.assertExit(refused, 1)
        self.assertIn("another planned operation holds the cluster's maintenance marker",
                      refused.err)
        self.assertIn(f"restart by {me}", refused.err)
        self.assertEqual(role_of(self.c, a)[0], "master", "nothing was done")

        # The same marker from a process that is gone is stale: it neither blocks nor counts.
        self.write_marker("restart", f"{socket.gethostname()}:999999999", time.time() + 600)
        self.assertIn("main: no maintenance", self.maintenance(w, "status").out)
        wait_until(lambda: self.gauge(w) == [0.0], 10, "a dead operation's marker ignored")
        os.remove(path)

        # Inside a manual window the failover runs, and the window is still there after it.
        # Under an operator's umask 077 the marker is still readable by the daemon's user.
        subprocess.run(["/bin/sh", "-c", 'umask 077; exec "$@"', "sh", WARDEN_BIN,
                        "maintenance", "on", "--for", "5m", "--reason", "window", "--config",
                        w.config], check=True, capture_output=True, timeout=30)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)
        done = run_warden(*failover, limit=90)
        self.assertExit(done, 0)
        self.assertEqual(role_of(self.c, a)[0], "replica")
        with open(path) as f:
            left = json.load(f)
        self.assertEqual((left["operation"], left["reason"]), ("manual", "window"))
        self.assertIn("manual by", self.maintenance(w, "status").out)

    def test_an_operation_holds_the_marker_while_it_runs_and_removes_it(self):
        w = self.daemon()
        a = self.c.masters()[0]
        seen: list[dict] = []
        path = os.path.join(self.state, "maintenance-main.json")
        failover = subprocess.Popen([WARDEN_BIN, "failover", "--config", w.config, "--master",
                                     a.address, "--yes"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: failover.poll() is None and failover.kill())
        deadline = time.monotonic() + 90
        while failover.poll() is None and time.monotonic() < deadline:
            try:
                with open(path) as f:
                    seen.append(json.load(f))
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        out, err = failover.communicate(timeout=10)
        self.assertEqual(failover.returncode, 0, out + err)
        self.assertTrue(seen, "no marker was seen while the failover ran")
        self.assertEqual(seen[0]["operation"], "failover")
        self.assertFalse(os.path.exists(path), "the marker outlived the operation")


class EtcdMaintenanceTest(MaintenanceScenario, CoordinationBase):
    """coordination.backend etcd: the marker is <prefix>main/maintenance on a lease."""

    def daemon(self) -> Instance:
        w = self.instances(1)[0]
        self.one_leader([w])
        return w

    def key(self):
        reply = self.etcd.call("/v3/kv/range", {"key": _b64(self.prefix + "main/maintenance")})
        kvs = reply.get("kvs", [])
        return (json.loads(base64.b64decode(kvs[0]["value"])), kvs[0].get("lease")) if kvs \
            else None

    def test_the_window_is_a_key_on_a_lease_of_its_length(self):
        w = self.daemon()
        self.assertExit(self.maintenance(w, "on", "--for", "90s", "--reason", "r"), 0)
        marker, lease = self.key()
        self.assertEqual(marker["operation"], "manual")
        ttl = self.etcd.call("/v3/lease/timetolive", {"ID": lease})
        self.assertTrue(60 <= int(ttl["TTL"]) <= 90, ttl)
        wait_until(lambda: self.gauge(w) == [1.0], 10, "the leader sees the key")
        self.assertExit(self.maintenance(w, "off"), 0)
        self.assertIsNone(self.key())
        wait_until(lambda: self.gauge(w) == [0.0], 10, "the key gone")


if __name__ == "__main__":
    unittest.main(verbosity=2)
