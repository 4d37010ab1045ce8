#!/usr/bin/python3
"""redis-warden run against a real 3x1 cluster: metrics, findings over time, systemd
notifications, reload, hostile HTTP, shutdown."""

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
import urllib.error
import urllib.request

from common import WARDEN_BIN, Cluster, wait_until

POLL_MS = 500
NODE_TIMEOUT_MS = 2000


def free_port() -> int:
    # Below the ephemeral range, and not in the harness' range.
    for port in range(22100 + os.getpid() % 500, 23000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port for the daemon")


def metric(text: str, name: str, **labels) -> list[float]:
    """Values of the samples of `name` whose labels include `labels`."""
    values = []
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name + "{"):
            continue
        series, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            values.append(float(value))
    return values


class Daemon:
    def __init__(self, config_text: str, directory: str):
        self.dir = directory
        self.config = os.path.join(directory, "warden.yaml")
        self.port = free_port()
        self.write_config(config_text)
        self.notify_path = os.path.join(directory, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.2)
        self.messages: list[str] = []
        # Read notifications continuously, as systemd does: a full socket blocks sd_notify.
        self.reading = True
        self.reader = threading.Thread(target=self._read_notifications, daemon=True)
        self.reader.start()
        self.log = open(os.path.join(directory, "daemon.log"), "w+")
        # STATE_DIRECTORY as systemd's StateDirectory= passes it: the fast-sync ledger stays
        # in the test's directory.
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path, WATCHDOG_USEC="2000000",
                   STATE_DIRECTORY=directory)
        env.pop("REDISCLI_AUTH", None)
        self.proc = subprocess.Popen([WARDEN_BIN, "run", "--config", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def write_config(self, text: str) -> None:
        with open(self.config, "w") as f:
            f.write(f"listen: 127.0.0.1:{self.port}\n" + text)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self) -> str:
        status, body = self.get("/metrics")
        assert status == 200, status
        return body

    def _read_notifications(self) -> None:
        while self.reading:
            try:
                self.messages.extend(self.notify.recv(4096).decode().split("\n"))
            except socket.timeout:
                continue
            except OSError:
                return

    def drain_notifications(self) -> list[str]:
        return list(self.messages)

    def log_text(self) -> str:
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; the exit code and the seconds it took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(5)
        return rc, time.monotonic() - started

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.reading = False
        self.reader.join(2)
        self.notify.close()
        self.log.close()


class DaemonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(masters=3, replicas=1, hosts=3, node_timeout=NODE_TIMEOUT_MS).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-daemon-")
        cls.config = (f"clusters:\n  - name: main\n    seeds: [{cls.cluster.seeds()[0]}]\n"
                      f"    poll_interval: {POLL_MS}ms\n    timeout: 300ms\n")
        cls.daemon = Daemon(cls.config, cls.tmp.name)
        wait_until(lambda: cls.daemon.get("/healthz")[0] == 200 if cls._up() else False, 15,
                   "daemon healthy")

    @classmethod
    def _up(cls) -> bool:
        try:
            cls.daemon.get("/healthz")
            return True
        except OSError:
            return False

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.cluster.stop()
        cls.tmp.cleanup()

    def test_1_metrics_pass_promtool_and_describe_a_healthy_cluster(self):
        text = self.daemon.metrics()
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(metric(text, "redis_warden_cluster_ok", cluster="main"), [1.0], text)
        self.assertEqual(metric(text, "redis_warden_voting_masters", cluster="main"), [3.0])
        self.assertEqual(metric(text, "redis_warden_quorum_margin", cluster="main"), [1.0])
        self.assertEqual(len(metric(text, "redis_warden_node_up", cluster="main")), 6)

    def test_1b_the_security_poll_feeds_findings_and_status(self):
        # The harness cluster has no password: the audit must say so, in metrics and /status.
        wait_until(lambda: metric(self.daemon.metrics(), "redis_warden_last_audit_timestamp_seconds",
                                  cluster="main"), 10, "a completed audit")
        text = self.daemon.metrics()
        self.assertEqual(metric(text, "redis_warden_findings", cluster="main",
                                code="auth_disabled", severity="critical"), [1.0], text)
        self.assertEqual(metric(text, "redis_warden_findings", cluster="main",
                                code="masterauth_mismatch"), [0.0])
        status, body = self.daemon.get("/status")
        audit = json.loads(body)["clusters"][0]["audit"]
        self.assertIn("auth_disabled", [f["code"] for f in audit["findings"]])
        self.assertIn("finding=auth_disabled", self.daemon.log_text())

    def test_2_ready_and_watchdog_arrive_on_the_notify_socket(self):
        wait_until(lambda: "READY=1" in self.daemon.drain_notifications(), 10, "READY=1")
        wait_until(lambda: "WATCHDOG=1" in self.daemon.drain_notifications(), 10, "WATCHDOG=1")
        self.assertTrue(any(m.startswith("STATUS=main: ok") for m in self.daemon.messages),
                        self.daemon.messages)

    def test_3_a_killed_replica_orphans_its_master_until_restarted(self):
        master = self.cluster.masters()[0]
        replica = self.cluster.replicas_of(master)[0]
        started = time.monotonic()
        self.cluster.kill(replica, signal.SIGKILL)
        wait_until(lambda: metric(self.daemon.metrics(), "redis_warden_orphaned_masters",
                                  cluster="main") == [1.0],
                   (POLL_MS + NODE_TIMEOUT_MS) / 1000 + 2, "orphaned_masters == 1")
        orphaned_after = time.monotonic() - started
        text = self.daemon.metrics()
        self.assertEqual(metric(text, "redis_warden_node_up", address=replica.address), [0.0], text)
        self.assertIn("finding=orphaned_master", self.daemon.log_text())
        self.cluster.restart(replica)
        wait_until(lambda: metric(self.daemon.metrics(), "redis_warden_orphaned_masters",
                                  cluster="main") == [0.0], 30, "orphaned_masters back to 0")
        wait_until(lambda: "finding=orphaned_master" in self.daemon.log_text()
                   and "cleared after" in self.daemon.log_text(), 10, "cleared log line")
        print(f"orphaned_masters became 1 {orphaned_after:.2f} s after SIGKILL")

    def test_4_sighup_with_a_new_cluster_starts_polling_it(self):
        with Cluster(masters=1, replicas=0, hosts=1) as second:
            self.daemon.write_config(self.config + f"  - name: second\n    seeds: [{second.seeds()[0]}]\n"
                                     f"    poll_interval: {POLL_MS}ms\n")
            self.daemon.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: metric(self.daemon.metrics(), "redis_warden_voting_masters",
                                      cluster="second") == [1.0], 10, "second cluster polled")
            self.daemon.write_config(self.config)
            self.daemon.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: not metric(self.daemon.metrics(), "redis_warden_voting_masters",
                                          cluster="second"), 10, "second cluster dropped")

    def test_5_an_invalid_config_on_sighup_keeps_the_old_one(self):
        self.daemon.write_config(self.config + "    bogus_key: 1\n")
        self.daemon.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "keeping the running config" in self.daemon.log_text(), 10,
                   "reload refusal logged")
        self.assertIn("bogus_key", self.daemon.log_text())
        self.assertIsNone(self.daemon.proc.poll())
        self.assertEqual(self.daemon.get("/healthz")[0], 200)
        self.daemon.write_config(self.config)

    def test_6_hostile_http_gets_4xx_and_the_daemon_keeps_serving(self):
        with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5) as s:
            s.sendall(b"\x16\x03\x01garbage that is not http\r\n\r\n")
            reply = s.recv(200)
        self.assertRegex(reply, rb"^HTTP/1.1 4\d\d")
        with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5) as s:
            # The daemon may answer 431 and close before the whole megabyte is sent: a
            # broken pipe then is the refusal, not a failure.
            try:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) +
                          b"\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                reply = s.recv(200)
            except ConnectionResetError:
                reply = b""
        if reply:
            self.assertRegex(reply, rb"^HTTP/1.1 4\d\d")
        self.assertEqual(self.daemon.get("/nope")[0], 404)
        status, body = self.daemon.get("/status")
        self.assertEqual(status, 200)
        self.assertIn('"cluster":"main"', body)
        self.assertEqual(self.daemon.get("/healthz")[0], 200)

    def test_8_the_only_seed_dying_does_not_blind_the_daemon(self):
        # The config names one seed. Once it dies the daemon asks the nodes its last poll
        # knew, as a cluster client does, instead of reporting a cluster of one dead node.
        seed = self.cluster.node(self.cluster.seeds()[0])
        others = [n for n in self.cluster.members() if n is not seed]
        self.cluster.kill(seed, signal.SIGKILL)
        self.addCleanup(lambda: self.cluster.restart(seed))

        def seen():
            text = self.daemon.metrics()
            up = {a: metric(text, "redis_warden_node_up", cluster="main", address=a)
                  for a in [n.address for n in others] + [seed.address]}
            return up[seed.address] == [0.0] and all(up[n.address] == [1.0] for n in others)
        wait_until(seen, 10, "the other five nodes up, the dead seed down")
        self.assertIn("no configured seed answered: polling the 5 node(s) the last poll knew",
                      self.daemon.log_text())
        status = json.loads(self.daemon.get("/status")[1])["clusters"][0]
        self.assertEqual(len(status["nodes"]), 6, status["nodes"])

    def test_9_sigterm_exits_zero_within_one_second(self):
        rc, elapsed = self.daemon.terminate()
        self.assertEqual(rc, 0)
        self.assertLess(elapsed, 1.0)


class KeptConnectionsTest(unittest.TestCase):
    """The daemon keeps one connection per node across polls, and a connection the server
    closes between polls is re-opened without the node ever looking unreachable."""

    POLL_MS = 200

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(masters=3, replicas=0, hosts=1, spares=1).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-kept-")
        cls.daemon = Daemon(f"clusters:\n  - name: main\n    seeds: [{cls.cluster.seeds()[0]}]\n"
                            f"    poll_interval: {cls.POLL_MS}ms\n    timeout: 1s\n"
                            "    security_interval: 1h\n", cls.tmp.name)
        wait_until(lambda: DaemonTest._up.__func__(cls) and
                   metric(cls.daemon.metrics(), "redis_warden_voting_masters", cluster="main")
                   == [3.0], 15, "first poll published")
        time.sleep(1)  # past the first audit's connections

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.cluster.stop()
        cls.tmp.cleanup()

    def connections_received(self) -> list[int]:
        return [int(self.cluster.info(n, "stats")["total_connections_received"])
                for n in self.cluster.members()]

    def test_1_steady_polls_open_no_new_connection(self):
        before = self.connections_received()
        polls = 15
        time.sleep(polls * self.POLL_MS / 1000)
        after = self.connections_received()
        opened = [b - a for a, b in zip(before, after)]
        print(f"\n  new connections per node over {polls} polls: {opened}")
        # One new connection per node per poll without kept links; allow one reconnect.
        self.assertTrue(all(n <= 1 for n in opened), opened)

    def test_2_a_killed_connection_is_reopened_without_a_false_unreachable(self):
        for node in self.cluster.members():
            # Every normal client but the harness' own: warden's kept link among them.
            self.cluster.redis(node).execute_command("CLIENT", "KILL", "TYPE", "normal",
                                                     "SKIPME", "yes")
        deadline = time.monotonic() + 10 * self.POLL_MS / 1000
        while time.monotonic() < deadline:
            text = self.daemon.metrics()
            self.assertEqual(metric(text, "redis_warden_node_up", cluster="main"), [1.0] * 3, text)
            time.sleep(0.05)
        self.assertNotIn("finding=node_unreachable", self.daemon.log_text())
        before = self.connections_received()
        time.sleep(5 * self.POLL_MS / 1000)
        self.assertTrue(all(b - a <= 1 for a, b in zip(before, self.connections_received())))


    def test_3_a_node_met_while_the_daemon_runs_is_probed_in_the_first_poll_listing_it(self):
        # The daemon's discovery reads only the lines of a view the merge had not met in that
        # poll: the new node's line is one, so the poll that first lists it also probes it
        # (node_up 1), rather than the next poll, from the last topology's addresses.
        spare = self.cluster.spares()[0]
        self.cluster.redis(self.cluster.masters()[0]).execute_command(
            "CLUSTER", "MEET", spare.host, spare.port)
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(seen) < 20:
            text = self.daemon.metrics()
            ups = metric(text, "redis_warden_node_up", cluster="main", address=spare.address)
            if ups:
                seen.append(ups[0])
            time.sleep(0.05)
        self.assertGreaterEqual(len(seen), 20, "the met node never showed up in the metrics")
        self.assertEqual(seen, [1.0] * len(seen), "listed but not probed in some poll")
        self.assertNotIn("finding=node_unreachable", self.daemon.log_text())


class KeptAuditConnectionsTest(unittest.TestCase):
    """The audit keeps its connection per node too, RESET before the anonymous PING, so a
    password set while warden runs is seen as a new client would see it."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(masters=3, replicas=0, hosts=1).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-kept-audit-")
        cls.daemon = Daemon(f"clusters:\n  - name: main\n    seeds: [{cls.cluster.seeds()[0]}]\n"
                            "    poll_interval: 200ms\n    timeout: 1s\n"
                            "    security_interval: 500ms\n", cls.tmp.name)
        wait_until(lambda: metric(cls.daemon.metrics(), "redis_warden_last_audit_timestamp_seconds",
                                  cluster="main") != [], 20, "first audit done")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.cluster.stop()
        cls.tmp.cleanup()

    def audits(self) -> float:
        return metric(self.daemon.metrics(), "redis_warden_last_audit_timestamp_seconds",
                      cluster="main")[0]

    def test_1_steady_audits_open_no_new_connection(self):
        before = [int(self.cluster.info(n, "stats")["total_connections_received"])
                  for n in self.cluster.members()]
        first = self.audits()
        time.sleep(4)
        self.assertGreaterEqual(self.audits() - first, 2.0, "audits kept running")
        after = [int(self.cluster.info(n, "stats")["total_connections_received"])
                 for n in self.cluster.members()]
        opened = [b - a for a, b in zip(before, after)]
        print(f"\n  new connections per node over about 6 audits: {opened}")
        # Two per node per audit (anonymous + authenticated) before links were kept.
        self.assertTrue(all(n <= 1 for n in opened), opened)

    def auth_disabled(self) -> list[float]:
        return metric(self.daemon.metrics(), "redis_warden_findings", cluster="main",
                      code="auth_disabled", severity="critical")

    def test_2_a_password_set_meanwhile_is_seen_through_the_kept_connection(self):
        self.assertEqual(self.auth_disabled(), [1.0])  # no password: new clients may run commands
        # Clients made before the password keep their rights (Redis marks a connection
        # authenticated when it connects): these put it back afterwards.
        admins = [self.cluster.redis(n) for n in self.cluster.members()]
        for admin in admins:
            admin.ping()
        try:
            for admin in admins:
                admin.config_set("requirepass", "set-while-watched")
            wait_until(lambda: self.auth_disabled() == [0.0], 10,
                       "the audit's kept connection answering NOAUTH after RESET")
        finally:
            for admin in admins:
                admin.config_set("requirepass", "")
        wait_until(lambda: self.auth_disabled() == [1.0], 10, "auth_disabled raised again")


class FrozenNodeTest(unittest.TestCase):
    """A poll waiting on a frozen node (SIGSTOP) with a long timeout: a reload and a shutdown
    cancel it rather than wait it out, and /metrics keeps answering meanwhile."""

    FROZEN_TIMEOUT_S = 8

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(masters=1, replicas=1, hosts=1).start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-frozen-")
        cls.config = (f"clusters:\n  - name: main\n    seeds: [{cls.cluster.seeds()[0]}]\n"
                      f"    poll_interval: {POLL_MS}ms\n    timeout: {cls.FROZEN_TIMEOUT_S}s\n")
        cls.daemon = Daemon(cls.config, cls.tmp.name)
        wait_until(lambda: DaemonTest._up.__func__(cls) and
                   metric(cls.daemon.metrics(), "redis_warden_voting_masters", cluster="main")
                   == [1.0], 15, "first poll published")
        cls.frozen = cls.cluster.replicas_of(cls.cluster.masters()[0])[0]
        cls.cluster.stop_node(cls.frozen)
        # Every poll from now on waits up to the timeout on the frozen replica.
        time.sleep(2 * POLL_MS / 1000)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.cluster.cont_node(cls.frozen)
        cls.cluster.stop()
        cls.tmp.cleanup()

    def test_1_a_reload_does_not_wait_out_the_frozen_node(self):
        self.daemon.proc.send_signal(signal.SIGHUP)
        started = time.monotonic()
        # Served during the reload, not after it.
        self.assertEqual(self.daemon.get("/metrics")[0], 200)
        wait_until(lambda: "reload: now watching" in self.daemon.log_text(),
                   self.FROZEN_TIMEOUT_S / 2, "reload done well within the node timeout")
        print(f"reload with a poll stuck on a frozen node took <= {time.monotonic() - started:.2f} s")

    def test_2_sigterm_cancels_the_poll_and_exits_cleanly(self):
        time.sleep(2 * POLL_MS / 1000)  # the reloaded monitor is waiting on the frozen node
        rc, elapsed = self.daemon.terminate()
        self.assertEqual(rc, 0)
        self.assertLess(elapsed, 1.0)
        # Cancelled, not abandoned: the process ran its destructors.
        self.assertNotIn("work in flight", self.daemon.log_text())


if __name__ == "__main__":
    unittest.main()
