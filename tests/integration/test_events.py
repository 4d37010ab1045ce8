#!/usr/bin/python3
"""Events (issue 19) against a real 3x1 cluster with a client writing through it: a master
SIGKILLed -> a `failover` event naming the old and the new master in GET /events, in the
log, in the metrics and delivered to an exec hook and to webhooks (both formats); a restarted daemon does not announce that
failover again. Hooks that hang or fail do not delay polls and are counted. A real
Alertmanager lists the orphan warden pushes while it lasts and resolves it after."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from redis.cluster import RedisCluster

from common import Cluster, wait_until
from tls_files import TlsAuthority  # tests/harness: common puts it on sys.path
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


class Receiver:
    """A webhook receiver on loopback: keeps each POST's path, headers and JSON body.
    tls: (certificate, key) to serve https instead of http."""

    def __init__(self, tls: tuple[str, str] | None = None):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            # A client refusing the certificate fails accept() with an SSLError, an OSError
            # the server ignores.
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self, path: str) -> list[dict]:
        return [body for at, _, body in self.received if at == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
        cls.record = os.path.join(cls.tmp.name, "record.out")
        cls.hanging = os.path.join(cls.tmp.name, "hanging")
        hooks = {
            # Sentinel's convention: <event-type> <description>, the event in WARDEN_EVENT.
            "record": f'printf "%s\\n%s\\n%s\\n" "$1" "$2" "$WARDEN_EVENT" >> {cls.record}',
            "hang": f"touch {cls.hanging}; exec sleep 1000",
            "fail": "exit 2",
        }
        notify = "notify:\n"
        for name, body in hooks.items():
            path = os.path.join(cls.tmp.name, f"{name}.sh")
            with open(path, "w") as f:
                f.write(f"#!/bin/sh\n{body}\n")
            os.chmod(path, 0o755)
            notify += f"  - {{exec: {path}, name: {name}"
            notify += (", events: [failover]}\n" if name == "record" else
                       ", min_severity: critical, timeout: 1s, retry_interval: 100ms}\n")
        cls.receiver = Receiver()
        token = os.path.join(cls.tmp.name, "hook.token")
        with open(token, "w") as f:
            f.write("Bearer not-in-the-logs\n")
        base = f"http://127.0.0.1:{cls.receiver.port}"
        notify += (f"  - {{webhook: '{base}/warden', name: hook, events: [failover], "
                   f"headers: {{X-Team: redis}}, header_files: {{Authorization: {token}}}}}\n"
                   f"  - {{webhook: '{base}/am', format: alertmanager, events: [failover]}}\n")
        cls.config = (f"state_dir: {cls.state_dir}\nevents: {{keep: 50}}\n{notify}"
                      f"log: {{format: json}}\n"
                      f"clusters:\n  - name: main\n    seeds: [{', '.join(cls.cluster.seeds())}]\n"
                      f"    poll_interval: {POLL_MS}ms\n    timeout: 300ms\n")
        cls.daemons = []

    @classmethod
    def tearDownClass(cls):
        for d in cls.daemons:
            d.stop()
        cls.receiver.stop()
        cls.cluster.stop()
        cls.tmp.cleanup()

    def start_daemon(self, name: str, config: str = "") -> "daemon_helpers.Daemon":
        directory = os.path.join(self.tmp.name, name)
        os.mkdir(directory)
        d = daemon_helpers.Daemon(config or self.config, directory)
        self.daemons.append(d)

        def healthy() -> bool:
            try:
                return d.get("/healthz")[0] == 200
            except OSError:
                return False

        wait_until(healthy, 15, f"daemon {name} healthy")
        return d

    def poll_gaps(self, d: "daemon_helpers.Daemon", seconds: float) -> list[float]:
        """Gaps between the daemon's successive poll timestamps over `seconds`."""
        stamps = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            value = daemon_helpers.metric(d.metrics(), "redis_warden_last_poll_timestamp_seconds",
                                          cluster="main")
            if value and (not stamps or value[0] != stamps[-1]):
                stamps.append(value[0])
            time.sleep(0.05)
        return [b - a for a, b in zip(stamps, stamps[1:])]

    def notified(self, d: "daemon_helpers.Daemon", sink: str, outcome: str) -> float:
        values = daemon_helpers.metric(d.metrics(), "redis_warden_notifications_total",
                                       cluster="main", sink=sink, outcome=outcome)
        return values[0] if values else 0.0

    def test_a_killed_master_is_one_failover_event_never_announced_again(self):
        first = self.start_daemon("first")
        # The critical audit finding at start (auth_disabled) runs the hanging hook and the
        # failing one; polls keep their interval meanwhile.
        wait_until(lambda: os.path.exists(self.hanging), 10, "the hanging hook running")
        gaps = self.poll_gaps(first, 3.0)
        print(f"poll gaps while a hook hangs: max {max(gaps):.3f} s over {len(gaps)} polls")
        self.assertGreater(len(gaps), 5)
        self.assertLess(max(gaps), 2 * POLL_MS / 1000, gaps)
        wait_until(lambda: self.notified(first, "fail", "failed") >= 1, 5, "fail hook counted")
        master = self.cluster.masters()[0]
        replica = self.cluster.replicas_of(master)[0]
        writer = Writer(replica)  # seeded by a node that stays up
        try:
            wait_until(lambda: writer.written > 50, 10, "the writer writing")
            self.assertEqual(failovers(first), [])
            killed = time.monotonic()
            self.cluster.kill(master, signal.SIGKILL)
            promoted = []  # when the replica itself says it is a master

            def announced() -> bool:
                if not promoted and self.cluster.redis(replica).execute_command("ROLE")[0] == \
                        "master":
                    promoted.append(time.monotonic())
                return bool(failovers(first))

            bound = NODE_TIMEOUT_MS / 1000 + ELECTION_DELAY_S + 2 * POLL_MS / 1000 + 3
            try:
                wait_until(announced, bound, "a failover event", interval=0.05)
            except Exception:
                print(json.dumps(events(first), indent=1)[-4000:], first.log_text()[-3000:])
                raise
            seen = time.monotonic()
            self.assertTrue(promoted, "the event came before the replica said it was master")
            lag = seen - promoted[0]
            print(f"failover event {seen - killed:.2f} s after SIGKILL, {lag:.2f} s after the "
                  f"replica's promotion (bound: 2 polls + 0.2 s)")
            # Within node-timeout (the cluster's detection) + 2 polls: the daemon's share is
            # the time from the promotion to the event.
            self.assertLessEqual(lag, 2 * POLL_MS / 1000 + 0.2)
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
        lines = [line for line in first.log_text().splitlines()
                 if "cluster=main event=failover id=" in line]
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

        # The exec hook got the failover: its arguments and the event in its environment.
        wait_until(lambda: self.notified(first, "record", "sent") >= 1, 5, "record hook sent")
        with open(self.record) as f:
            kind, description, event_text = f.read().splitlines()[:3]
        self.assertEqual(kind, "failover")
        self.assertTrue(description.startswith("main failover (automatic): "), description)
        self.assertIn(master.address, description)
        self.assertEqual(json.loads(event_text), event)

        # The webhooks: the event as JSON with the configured headers, and Alertmanager's
        # webhook payload (version 4) with one firing alert.
        wait_until(lambda: self.receiver.bodies("/warden") and self.receiver.bodies("/am"), 5,
                   "both webhooks")
        [(_, headers, _)] = [r for r in self.receiver.received if r[0] == "/warden"]
        self.assertEqual(headers.get("Authorization"), "Bearer not-in-the-logs")
        self.assertEqual(headers.get("X-Team"), "redis")
        self.assertEqual(self.receiver.bodies("/warden"), [event])
        [am] = self.receiver.bodies("/am")
        self.assertEqual((am["version"], am["status"], am["receiver"]), ("4", "firing",
                                                                         "redis-warden"))
        [alert] = am["alerts"]
        self.assertEqual(alert["labels"]["alertname"], "RedisWarden_failover")
        self.assertEqual(alert["labels"]["cluster"], "main")
        self.assertEqual(alert["labels"]["severity"], "critical")
        self.assertIn(master.address, alert["annotations"]["summary"])
        self.assertEqual(self.notified(first, "hook", "sent"), 1.0)
        self.assertNotIn("not-in-the-logs", first.log_text())

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
        self.assertNotIn("cluster=main event=failover id=", second.log_text())
        with open(self.record) as f:
            self.assertEqual(f.read().splitlines()[0::3], ["failover"], "announced once")
        self.assertEqual(len(self.receiver.bodies("/warden")), 1, "posted once")
        # The hanging hook: killed after its 1 s each time, 10 runs, then counted as failed.
        wait_until(lambda: self.notified(second, "hang", "failed") >= 1, 20, "hang hook counted")
        self.assertIn("killed after 1000 ms", second.log_text())

    def test_b_alertmanager_lists_an_orphan_while_it_lasts_and_resolves_it(self):
        manager = Alertmanager(self.tmp.name)
        try:
            config = (f"state_dir: {self.state_dir}\nnotify:\n"
                      f"  - {{alertmanager: 'http://127.0.0.1:{manager.port}', name: am, "
                      f"resend_interval: 10s}}\n"
                      f"clusters:\n  - name: main\n    seeds: [{', '.join(self.cluster.seeds())}]\n"
                      f"    poll_interval: {POLL_MS}ms\n    timeout: 300ms\n")
            d = self.start_daemon("am-daemon", config)
            self.cluster.wait_healthy()
            master = self.cluster.masters()[0]
            replica = self.cluster.replicas_of(master)[0]
            self.cluster.kill(replica, signal.SIGKILL)
            wait_until(lambda: manager.active("RedisWarden_orphaned_master"), 15,
                       "the orphan listed by Alertmanager")
            [alert] = manager.active("RedisWarden_orphaned_master")
            self.assertEqual(alert["labels"]["cluster"], "main")
            self.assertEqual(alert["labels"]["severity"], "critical")
            self.assertEqual(alert["labels"]["code"], "orphaned_master")
            self.assertIn(master.address, alert["annotations"]["summary"])
            self.cluster.restart(replica)
            # Well before the alert's own endsAt (4 x resend_interval = 40 s) runs out: the
            # cleared finding is pushed with endsAt now.
            restarted = time.monotonic()
            wait_until(lambda: not manager.active("RedisWarden_orphaned_master"), 20,
                       "the orphan resolved in Alertmanager")
            print(f"resolved in Alertmanager {time.monotonic() - restarted:.2f} s after the "
                  f"replica's restart")
            self.assertGreaterEqual(self.notified(d, "am", "sent"), 2)
            self.assertEqual(self.notified(d, "am", "failed"), 0)
        finally:
            manager.stop()

    def test_c_https_webhooks_verify_the_certificate_against_the_configured_ca(self):
        authority = TlsAuthority(os.path.join(self.tmp.name, "pki"))
        other = TlsAuthority(os.path.join(self.tmp.name, "other-pki"), "other-ca")
        receiver = Receiver(tls=authority.issue("receiver"))
        try:
            base = f"https://127.0.0.1:{receiver.port}"
            # The audit's auth_disabled finding at start is the event each sink gets.
            sink = "events: [finding_raised], retry_interval: 100ms, timeout: 2s"
            config = (f"state_dir: {self.state_dir}\nnotify:\n"
                      f"  - {{webhook: '{base}/good', name: good, {sink}, "
                      f"tls: {{ca_file: {authority.cert}}}}}\n"
                      f"  - {{webhook: '{base}/wrong', name: wrong_ca, {sink}, "
                      f"tls: {{ca_file: {other.cert}}}}}\n"
                      f"  - {{webhook: '{base}/system', name: system_ca, {sink}}}\n"
                      f"clusters:\n  - name: main\n    seeds: [{', '.join(self.cluster.seeds())}]\n"
                      f"    poll_interval: {POLL_MS}ms\n    timeout: 300ms\n")
            d = self.start_daemon("https-daemon", config)
            wait_until(lambda: "auth_disabled" in [b["details"]["code"]
                                                   for b in receiver.bodies("/good")], 10,
                       "the https webhook delivered")
            self.assertEqual({b["type"] for b in receiver.bodies("/good")}, {"finding_raised"})
            self.assertGreaterEqual(self.notified(d, "good", "sent"), 1)
            # A CA that did not sign the receiver's certificate (or none: the system's CAs)
            # fails the handshake: 10 attempts 100 ms apart, then failed; polls keep their
            # interval meanwhile.
            gaps = self.poll_gaps(d, 2.0)
            self.assertLess(max(gaps), 2 * POLL_MS / 1000, gaps)
            for name in ("wrong_ca", "system_ca"):
                wait_until(lambda name=name: self.notified(d, name, "failed") >= 1, 15,
                           f"sink {name} counted as failed")
                self.assertEqual(self.notified(d, name, "sent"), 0)
                failed = [line for line in d.log_text().splitlines()
                          if f"notify={name} " in line and " failed (" in line]
                self.assertTrue(failed, d.log_text()[-3000:])
                print(f"\n  {failed[0]}")
                self.assertIn("the server's certificate is not signed by a trusted CA",
                              failed[0])
            self.assertEqual(receiver.bodies("/wrong") + receiver.bodies("/system"), [])
        finally:
            receiver.stop()


class Alertmanager:
    """Debian's prometheus-alertmanager on loopback, alone (no HA peers), routing nowhere."""

    def __init__(self, directory: str):
        self.dir = os.path.join(directory, "alertmanager")
        os.mkdir(self.dir)
        with open(os.path.join(self.dir, "am.yml"), "w") as f:
            f.write('route: {receiver: "null"}\nreceivers: [{name: "null"}]\n')
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = open(os.path.join(self.dir, "am.log"), "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/prometheus-alertmanager", f"--config.file={self.dir}/am.yml",
             f"--storage.path={self.dir}", f"--web.listen-address=127.0.0.1:{self.port}",
             "--cluster.listen-address="], stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self._get("/api/v2/status") is not None, 15, "alertmanager up")

    def _get(self, path: str):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            return None

    def active(self, alertname: str) -> list[dict]:
        alerts = self._get("/api/v2/alerts") or []
        return [a for a in alerts if a["labels"].get("alertname") == alertname
                and a["status"]["state"] == "active"]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(5)
        self.log.close()


if __name__ == "__main__":
    unittest.main()
