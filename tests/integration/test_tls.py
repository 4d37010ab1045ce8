#!/usr/bin/python3
"""redis-warden against real TLS clusters (Debian's redis-server is built with TLS).

The test makes a CA and certificates with openssl (tests/harness/tls_files.py): one node's
certificate is valid 5 days, so the certificate finding is critical. The TLS-only cluster
has `port 0`, `tls-cluster yes`, `tls-replication yes`, `tls-auth-clients yes`; the mixed
one keeps a plaintext port open as well."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from common import (EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN, EXIT_WARNING, Cluster,
                    WardenTestCase, harness, run_warden, wait_until)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from tls_files import TlsAuthority, not_after  # noqa: E402

from test_daemon import Daemon, metric  # noqa: E402

SHORT_LIVED = 0  # the node index whose certificate is valid 5 days


def secret_lines(path: str) -> list[str]:
    """The base64 lines of a PEM key: none of them may appear in any output."""
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("-----")]


class TlsTestCase(WardenTestCase):
    def assertNoSecret(self, run, *key_files: str) -> None:
        for key_file in key_files:
            for line in secret_lines(key_file):
                self.assertNotIn(line, run.out + run.err, "a key line was printed")


class TlsOnlyClusterTest(TlsTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-tls-")
        cls.ca = TlsAuthority(os.path.join(cls.tmp.name, "ca"))
        cls.c = Cluster(masters=3, replicas=1, hosts=3, tls=cls.ca,
                        tls_node_days={SHORT_LIVED: 5}).start()
        cls.seed = cls.c.nodes[1].address
        cls.keys = [cls.c.tls_client[1]]

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()
        cls.tmp.cleanup()

    def check(self, *extra: str):
        run = run_warden("check", "--seed", self.seed, *extra)
        self.assertNoCrash(run)
        self.assertNoSecret(run, *self.keys)
        return run

    def test_check_reads_every_node_over_tls_and_the_certificate_that_expires(self):
        run = self.check("--json", *self.c.tls_args())
        report = run.json()
        self.assertEqual(len(report["nodes"]), 6, run.describe())
        self.assertTrue(all(n["reachable"] for n in report["nodes"]), run.describe())
        self.assertEqual({n["address"] for n in report["nodes"]},
                         {n.address for n in self.c.nodes})
        # Only the 5-day certificate is flagged, critical (under 7 days).
        self.assertEqual([(f["code"], f["severity"]) for f in report["findings"]],
                         [("tls_certificate_expiring", "critical")], run.describe())
        self.assertExit(run, EXIT_CRITICAL)
        short = self.c.nodes[SHORT_LIVED]
        self.assertEqual(report["findings"][0]["nodes"], [short.id])
        by_address = {n["address"]: n for n in report["nodes"]}
        for node in self.c.nodes:
            presented = by_address[node.address]["tls_certificate"]
            self.assertEqual(presented["not_after"], not_after(self.c.node_certificate(node)))
            self.assertIn("warden-test-ca", presented["issuer"])
        # Thresholds are the operator's: under 3 days critical, under 30 a warning.
        relaxed = self.check("--cert-critical-days", "3", *self.c.tls_args())
        self.assertExit(relaxed, EXIT_WARNING)
        self.assertIn("tls_certificate_expiring", relaxed.out)
        text = self.check(*self.c.tls_args())
        self.assertIn(f"tls: soonest certificate expiry", text.out)
        self.assertIn(f"({short.address}); 6 of 6 node(s)", text.out)

    def test_each_tls_mistake_gets_its_own_error_and_exit_3(self):
        other = TlsAuthority(os.path.join(self.tmp.name, "other"), "other-ca")
        cert, key = self.c.tls_client
        cases = {
            "plaintext client": ([], "a TLS port?"),
            "unknown CA": (["--tls", "--cacert", other.cert, "--cert", cert, "--key", key],
                           "not signed by a trusted CA (unknown CA"),
            "no client certificate": (["--tls", "--cacert", self.ca.cert],
                                      "requires a client certificate"),
            "wrong --sni": (self.c.tls_args() + ["--sni", "wrong.example"],
                            "not valid for 'wrong.example' (host name mismatch"),
        }
        for name, (flags, expected) in cases.items():
            with self.subTest(name):
                started = time.monotonic()
                run = self.check(*flags)
                self.assertExit(run, EXIT_UNKNOWN)
                self.assertIn(expected, run.err, run.describe())
                self.assertLess(time.monotonic() - started, 10, "bounded")
        # A name the certificate carries passes with --sni (the nodes' certificates say
        # DNS:localhost).
        self.assertExit(self.check(*self.c.tls_args(), "--sni", "localhost",
                                   "--cert-critical-days", "0", "--cert-warning-days", "1"),
                        EXIT_OK)
        # --insecure skips verification: the unknown CA is then accepted.
        self.assertIn(self.check("--tls", "--insecure", "--cacert", other.cert, "--cert", cert,
                                 "--key", key).rc, (EXIT_OK, EXIT_WARNING, EXIT_CRITICAL))
        # A TLS flag without --tls is a usage error, not a silent plaintext connection.
        self.assertIn("need --tls", self.check("--cacert", self.ca.cert).err)

    def test_audit_reads_every_node_over_tls(self):
        run = run_warden("audit", "--seed", self.seed, *self.c.tls_args())
        self.assertNoCrash(run)
        self.assertNoSecret(run, *self.keys)
        self.assertIn("(6 node(s) read)", run.out, run.describe())
        self.assertNotEqual(run.rc, EXIT_UNKNOWN, run.describe())
        self.assertNotIn("audit_incomplete", run.out, run.describe())
        # port 0, tls-cluster, tls-replication and tls-auth-clients yes: no TLS finding.
        for code in ("plaintext_port_open", "tls_bus_plaintext", "tls_replication_plaintext",
                     "tls_client_auth_off", "tls_legacy_protocols"):
            self.assertNotIn(code, run.out)

    def test_daemon_polls_over_tls_exports_expiry_and_keeps_its_connections(self):
        cert, key = self.c.tls_client
        config = (f"clusters:\n  - name: secure\n    seeds: [{self.seed}]\n"
                  "    poll_interval: 300ms\n    timeout: 1000ms\n"
                  f"    tls: {{ca_file: {self.ca.cert}, cert_file: {cert}, key_file: {key}}}\n")
        with tempfile.TemporaryDirectory(prefix="warden-tls-daemon-") as tmp:
            daemon = Daemon(config, tmp)
            try:
                def all_up():
                    try:
                        text = daemon.metrics()
                    except (OSError, AssertionError):
                        return False
                    return metric(text, "redis_warden_node_up", cluster="secure") == [1.0] * 6
                wait_until(all_up, 20, "every node up through the daemon over TLS")
                text = daemon.metrics()
                for node in self.c.nodes:
                    self.assertEqual(
                        metric(text, "redis_warden_tls_certificate_expiry_timestamp_seconds",
                               cluster="secure", address=node.address),
                        [float(not_after(self.c.node_certificate(node)))])
                self.assertEqual(metric(text, "redis_warden_findings", cluster="secure",
                                        code="tls_certificate_expiring", severity="critical"),
                                 [1.0])
                watched = self.c.nodes[2]
                before = int(self.c.info(watched, "stats")["total_connections_received"])
                time.sleep(3)  # about 10 polls
                after = int(self.c.info(watched, "stats")["total_connections_received"])
                # Kept links: no new connection (and so no handshake) per poll. The audit
                # (security_interval 60 s) and the harness' own client may add one or two.
                self.assertLessEqual(after - before, 2, "a TLS connection per poll")
                self.assertNoSecret(type("log", (), {"out": daemon.log_text(), "err": ""}),
                                    key)
            finally:
                daemon.stop()


class TlsActingTest(TlsTestCase):
    """heal (a spare joins with CLUSTER MEET), rebalance (MIGRATE is the servers' own TLS)
    and import (a TLS source into a TLS cluster) over TLS with client certificates, while a
    cluster client writes through."""

    PASSWORD = "tls-Acting-Pw-1"

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="warden-tls-acting-")
        self.addCleanup(self.tmp.cleanup)
        self.ca = TlsAuthority(os.path.join(self.tmp.name, "ca"))
        self.c = Cluster(masters=3, replicas=1, hosts=3, spares=2, tls=self.ca,
                         password=self.PASSWORD, node_timeout=2000,
                         extra_config=["cluster-allow-replica-migration no"]).start()
        self.addCleanup(self.c.stop)

    def warden(self, *args: str, limit: float = 90):
        run = run_warden(*args, *self.c.tls_args(), env=self.c.cli_env(), limit=limit)
        self.assertNoCrash(run)
        self.assertNotIn(self.PASSWORD, run.out + run.err)
        self.assertNoSecret(run, self.c.tls_client[1])
        return run

    def test_heal_meets_a_spare_and_rebalance_moves_slots_over_tls(self):
        from test_heal import AckedWriter, link_up, orphan_detected, role_of
        writer = AckedWriter(self.c)
        b = self.c.masters()[1]
        spare, empty = self.c.spares()
        self.c.kill(self.c.replicas_of(b)[0])
        orphan_detected(self.c, b)
        healed = self.warden("heal", "--seed", self.c.masters()[0].address, "--yes", "--spare",
                             spare.address)
        self.assertExit(healed, 0)
        self.assertIn("CLUSTER MEET", healed.out)
        self.assertEqual(role_of(self.c, spare), ("replica", b.id), healed.describe())
        self.assertTrue(link_up(self.c, spare))

        self.c.redis(self.c.masters()[0]).execute_command("CLUSTER", "MEET", empty.host,
                                                           empty.port)
        empty.role = "master"
        moved = self.warden("rebalance", "--seed", self.c.masters()[0].address,
                            "--use-empty-masters", "--yes")
        self.assertExit(moved, 0)
        self.assertIn("moved 4096 slot(s)", moved.out)
        self.assertGreater(self.c.redis(empty).dbsize(), 0, "no key moved to the new master")
        writer.stop_and_verify(self)

    def test_takeover_over_tls_restores_a_cluster_that_lost_quorum(self):
        """Two of three masters die: their replicas cannot be elected (one vote of three).
        warden's CLUSTER FAILOVER TAKEOVER, sent over TLS, brings every slot back."""
        victims = self.c.masters()[:2]
        survivor = self.c.masters()[2]
        for master in victims:
            self.c.kill(master)
        wait_until(lambda: "cluster_state:fail" in self.c.redis(survivor).execute_command(
            "CLUSTER", "INFO"), 20, "cluster_state fail")
        seed = ("--seed", survivor.address)
        refused = self.warden("heal", *seed, "--yes")
        self.assertExit(refused, 1)
        self.assertIn("quorum lost", refused.out, refused.describe())
        self.assertNotIn("FAILOVER TAKEOVER", refused.out)
        wait_until(lambda: self.warden("heal", *seed, "--dry-run", "--takeover",
                                       "--takeover-after", "60000")
                   .out.count("takeover after 60.0 s") == 2, 15, "both masters agreed dead")
        time.sleep(4.5)
        run = self.warden("heal", *seed, "--yes", "--takeover", "--takeover-after", "4000")
        self.assertExit(run, 0)
        # One takeover restores quorum (2 of 3 masters); the cluster elects the other replica.
        self.assertIn("quorum needs 1 more healthy master", run.out, run.describe())
        self.assertEqual(run.out.count("CLUSTER FAILOVER TAKEOVER sent to"), 1, run.describe())
        live = [n for n in self.c.members() if n not in victims]
        wait_until(lambda: all("cluster_state:ok" in self.c.redis(n).execute_command(
            "CLUSTER", "INFO") for n in live), 40, "cluster_state ok on every live node")
        for master in victims:
            promoted = self.c.replicas_of(master)[0]
            role = harness.parse_cluster_nodes(self.c.cluster_nodes(survivor))
            self.assertIn(("master", True),
                          [(v["role"], bool(v["slots"])) for v in role if v["id"] == promoted.id])

    def test_import_from_a_tls_source_into_the_tls_cluster(self):
        source = harness.Standalone(tls=self.ca).start()
        self.addCleanup(source.stop)
        writes = source.redis().pipeline()
        for i in range(2000):
            writes.set(f"user:{i}", f"token-{i}", ex=3600 if i % 2 else None)
        writes.execute()
        run = self.warden("import", "--from", source.address, *source.tls_args("--from-"),
                          "--seed", self.c.masters()[0].address, "--yes", "--verify")
        self.assertExit(run, 0)
        from redis.cluster import RedisCluster
        seed = self.c.masters()[0]
        client = RedisCluster(host=seed.host, port=seed.port, password=self.PASSWORD,
                              decode_responses=True, **self.c.tls_client_kwargs())
        self.addCleanup(client.close)
        self.assertEqual(client.get("user:7"), "token-7")
        self.assertGreater(client.ttl("user:7"), 3000)
        self.assertEqual(sum(self.c.redis(m).dbsize() for m in self.c.masters()), 2000)


class MixedAndPlaintextTest(TlsTestCase):
    """A cluster with both ports open, a plaintext cluster dialed with --tls, and a server
    whose certificate has expired."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-tls-mixed-")
        cls.ca = TlsAuthority(os.path.join(cls.tmp.name, "ca"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_mixed_cluster_over_tls_and_plaintext_port_hint(self):
        c = Cluster(masters=3, replicas=0, hosts=1, tls=self.ca, tls_mode="mixed").start()
        self.addCleanup(c.stop)
        run = run_warden("check", "--json", "--seed", c.nodes[0].address, *c.tls_args())
        self.assertNoCrash(run)
        nodes = run.json()["nodes"]
        self.assertEqual(sorted(n["address"] for n in nodes), sorted(n.address for n in c.nodes))
        self.assertTrue(all(n["reachable"] for n in nodes), run.describe())
        # Dialed on its plaintext port, the cluster answers with its plaintext ports (Redis 7
        # announces the port of the client's kind), so plaintext works too.
        plain_seed = f"{c.nodes[0].host}:{c.nodes[0].port + harness.TLS_PLAIN_OFFSET}"
        plain = run_warden("check", "--json", "--seed", plain_seed)
        self.assertNoCrash(plain)
        plain_nodes = plain.json()["nodes"]
        self.assertEqual(sorted(n["address"] for n in plain_nodes),
                         sorted(f"{n.host}:{n.port + harness.TLS_PLAIN_OFFSET}" for n in c.nodes))
        self.assertTrue(all(n["reachable"] and n["tls_certificate"] is None
                            for n in plain_nodes), plain.describe())
        audit = run_warden("audit", "--json", "--seed", c.nodes[0].address, *c.tls_args())
        self.assertNoCrash(audit)
        open_port = [f for f in audit.json()["findings"] if f["code"] == "plaintext_port_open"]
        self.assertEqual(len(open_port), 1, audit.describe())
        self.assertEqual(sorted(open_port[0]["nodes"]), sorted(n.id for n in c.nodes))
        self.assertIn("CONFIG SET port 0", open_port[0]["remediation"])

    def test_tls_to_a_plaintext_cluster_is_named(self):
        c = Cluster(masters=3, replicas=0, hosts=1).start()
        self.addCleanup(c.stop)
        started = time.monotonic()
        run = run_warden("check", "--seed", c.nodes[0].address, "--timeout", "1500", "--tls",
                         "--cacert", self.ca.cert)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertRegex(run.err, r"did not answer in TLS|no TLS answer \(a plaintext port\?\)")
        self.assertLess(time.monotonic() - started, 10)

    def test_an_expired_server_certificate_is_named(self):
        cert, key = self.ca.issue_expired("expired-node")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(["/usr/bin/openssl", "s_server", "-quiet", "-accept",
                                   f"127.0.0.1:{port}", "-cert", cert, "-key", key],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (server.kill(), server.wait(5), server.stdin.close()))

        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_until(listening, 10, "openssl s_server listening")
        run = run_warden("check", "--json", "--seed", f"127.0.0.1:{port}", "--tls",
                         "--cacert", self.ca.cert)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertIn("the server's certificate expired on 2020-01-02T00:00:00Z", run.out + run.err)
        self.assertNoSecret(run, key)


if __name__ == "__main__":
    unittest.main()
