#!/usr/bin/python3
"""Several redis-warden instances, one actor: coordination through a real etcd (Debian's
etcd-server, one member on loopback) on real 3x1 clusters with an extra replica.

Each scenario: every instance runs `heal.mode: heal` against the same cluster and the same
etcd; the test counts CLUSTER REPLICATE through every instance's actions_total."""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

from common import Cluster, WardenTestCase, harness, wait_until
from test_daemon import Daemon, metric
from test_heal import NO_NATIVE_MIGRATION, link_up, meet, role_of

ETCD = os.environ.get("ETCD_SERVER", "/usr/bin/etcd")
ETCD_PORTS = (11000, 11999)  # below the harness' redis ports (12000+) and their buses (22000+)
TTL_S = 3
POLL_S = 0.3
GRACE_S = 1


class Etcd:
    """One etcd member on two free loopback ports, data in a temp dir, killed by pid.

    tls: a Certificates; etcd then serves https only and asks clients for a certificate
    signed by the same CA. enable_auth() turns on etcd auth with a user for warden."""

    def __init__(self, directory: str, tls: "Certificates | None" = None):
        self.dir = directory
        self.data = os.path.join(directory, "etcd-data")
        self.proc = None
        self.tls = tls
        self.token = ""
        self.context = None
        if tls:
            self.context = ssl.create_default_context(cafile=tls.ca)
            self.context.load_cert_chain(tls.client_cert, tls.client_key)
        for _ in range(50):
            port = random.randrange(ETCD_PORTS[0], ETCD_PORTS[1] - 1)
            if harness.port_free("127.0.0.1", port) and harness.port_free("127.0.0.1", port + 1):
                self.client_port, self.peer_port = port, port + 1
                break
        else:
            raise harness.HarnessError("no two free ports for etcd")
        self.start()

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.client_port}"

    def start(self) -> None:
        peer = f"http://127.0.0.1:{self.peer_port}"
        args = [ETCD, "--name", "warden-test", "--data-dir", self.data,
                "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"warden-test={peer}", "--initial-cluster-state", "new"]
        if self.tls:
            args += ["--cert-file", self.tls.server_cert, "--key-file", self.tls.server_key,
                     "--client-cert-auth", "--trusted-ca-file", self.tls.ca]
        self.token = ""  # simple tokens live in etcd's memory: a restart forgets them
        self.log = open(os.path.join(self.dir, "etcd.log"), "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     preexec_fn=harness._pdeathsig_hook(os.getpid()))
        wait_until(lambda: self.call("/v3/maintenance/status", {}) is not None, 30,
                   f"etcd answering on {self.endpoint}")

    def call(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(self.endpoint + path, data=json.dumps(body).encode(),
                                         method="POST")
        if self.token:
            request.add_header("Authorization", self.token)
        with urllib.request.urlopen(request, timeout=3, context=self.context) as reply:
            return json.loads(reply.read())

    def enable_auth(self, user: str, password: str, prefix: str) -> None:
        """A root user, and `user` whose role may read and write keys under `prefix` only."""
        self.call("/v3/auth/user/add", {"name": "root", "password": "root-pw"})
        self.call("/v3/auth/role/add", {"name": "root"})
        self.call("/v3/auth/user/grant", {"user": "root", "role": "root"})
        self.call("/v3/auth/user/add", {"name": user, "password": password})
        self.call("/v3/auth/role/add", {"name": user})
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        self.call("/v3/auth/role/grant", {"name": user, "perm": {
            "permType": "READWRITE", "key": _b64(prefix), "range_end": _b64(end)}})
        self.call("/v3/auth/user/grant", {"user": user, "role": user})
        self.call("/v3/auth/enable", {})
        self.login()

    def login(self) -> None:
        self.token = ""
        self.token = self.call("/v3/auth/authenticate",
                               {"name": "root", "password": "root-pw"})["token"]

    def records(self, prefix: str) -> list[dict]:
        """Every action record under prefix (JSON values)."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        reply = self.call("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(end)})
        return [json.loads(base64.b64decode(kv["value"])) for kv in reply.get("kvs", [])]

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


class Certificates:
    """A throwaway CA, a server certificate for 127.0.0.1 and client certificates, made with
    the openssl command line (P-256 keys, valid one day)."""

    def __init__(self, directory: str, name: str = "ca"):
        os.makedirs(directory, exist_ok=True)
        self.dir = directory
        path = lambda file: os.path.join(directory, file)  # noqa: E731
        self.ca, ca_key = path("ca.pem"), path("ca.key")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", ca_key, "-out", self.ca, "-days", "1",
                      "-subj", f"/CN=warden test {name}")
        self.server_cert, self.server_key = self._signed("server", "/CN=etcd",
                                                         "subjectAltName=IP:127.0.0.1", ca_key)
        # etcd's gateway refuses clients whose certificate has a CommonName once auth is on
        # (CVE-2018-16886): the certificate for warden has none, the second one has one.
        self.client_cert, self.client_key = self._signed("client", "/O=redis-warden", "", ca_key)
        self.cn_cert, self.cn_key = self._signed("cn-client", "/CN=warden", "", ca_key)

    def _openssl(self, *args: str) -> None:
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=30)

    def _signed(self, name: str, subject: str, extensions: str, ca_key: str) -> tuple[str, str]:
        key, request, cert = (os.path.join(self.dir, f"{name}.{suffix}")
                              for suffix in ("key", "csr", "pem"))
        self._openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", key, "-out", request, "-subj", subject)
        extfile = os.path.join(self.dir, f"{name}.ext")
        with open(extfile, "w") as f:
            f.write(extensions + "\n")
        self._openssl("x509", "-req", "-in", request, "-CA", self.ca, "-CAkey", ca_key,
                      "-CAcreateserial", "-days", "1", "-out", cert, "-extfile", extfile)
        return cert, key


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Instance(Daemon):
    """A warden instance; started only once the previous one listens (free_port races)."""

    def __init__(self, config_text: str, directory: str):
        os.makedirs(directory, exist_ok=True)
        super().__init__(config_text, directory)
        wait_until(lambda: self.get("/metrics")[0] == 200, 20, f"instance on port {self.port}")

    def leader(self) -> float:
        return metric(self.metrics(), "redis_warden_leader", cluster="main")[0]

    def actions(self, outcome: str) -> float:
        return sum(metric(self.metrics(), "redis_warden_actions_total", cluster="main",
                          action="replicate", outcome=outcome))

    def coordination(self) -> dict:
        return json.loads(self.get("/status")[1])["clusters"][0]["coordination"]

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
        super().stop()


class CoordinationBase(WardenTestCase):
    """A 3x1 cluster with a spare replica of A and an etcd; helpers, no tests."""

    def make_etcd(self) -> Etcd:
        return Etcd(self.tmp)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="warden-coord-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.etcd = self.make_etcd()
        self.addCleanup(self.etcd.kill)
        self.prefix = f"/warden-test-{os.getpid()}-{self._testMethodName}/"
        # 3 masters x 1 replica over three hosts, plus a spare replica of A: the one spare
        # replica that can cover an orphan.
        self.c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=2000, spares=1,
                         extra_config=NO_NATIVE_MIGRATION).start()
        self.addCleanup(self.c.stop)
        a = self.c.masters()[0]
        self.spare = self.c.spares()[0]
        meet(self.c, self.spare, replica_of=a)

    def instances(self, n: int, extra: str = "", first: int = 0,
                  top: str = "") -> list[Instance]:
        """n instances; extra: more coordination keys (e.g. ", tls: {...}"); top: more
        top-level config (e.g. a notify: list)."""
        config = (f"clusters:\n  - name: main\n    seeds: [{self.c.masters()[0].address}]\n"
                  f"    poll_interval: {int(POLL_S * 1000)}ms\n    timeout: 300ms\n"
                  f"    heal: {{mode: heal, grace: {GRACE_S}s, max_actions_per_minute: 2}}\n"
                  f"coordination: {{backend: etcd, endpoints: [{self.etcd.endpoint}], "
                  f"prefix: {self.prefix}, ttl: {TTL_S}s{extra}}}\n{top}")
        out = []
        for i in range(first, first + n):
            out.append(Instance(config, os.path.join(self.tmp, f"warden-{i}")))
            self.addCleanup(out[-1].stop)
        return out

    def one_leader(self, live: list[Instance], timeout: float = 15) -> Instance:
        def settled():
            flags = [w.leader() for w in live]
            holders = {w.coordination()["holder"] for w in live}
            return flags.count(1.0) == 1 and flags.count(0.0) == len(live) - 1 \
                and len(holders) == 1
        wait_until(settled, timeout, "exactly one leader, agreed by every instance")
        leader = next(w for w in live if w.leader() == 1.0)
        for w in live:
            self.assertEqual(w.coordination()["holder"], leader.coordination()["identity"])
        return leader

    def orphan_b(self):
        """Kills B's replica: B is orphaned; only the spare replica of A can cover it."""
        b = self.c.masters()[1]
        self.c.kill(self.c.replicas_of(b)[0])
        return b

    def assert_exactly_one_replicate(self, everyone: list[Instance], scraped: dict) -> None:
        """scraped: final counts of instances no longer answering (killed)."""
        def totals():
            live = [w for w in everyone if w not in scraped]
            success = sum(w.actions("success") for w in live) + \
                sum(v["success"] for v in scraped.values())
            failed = sum(w.actions("failed") for w in live) + \
                sum(v["failed"] for v in scraped.values())
            return success, failed
        wait_until(lambda: totals()[0] >= 1, 30, "one successful replicate across instances")
        time.sleep(3 * POLL_S + GRACE_S + 1)  # time for a second (wrong) action to show up
        self.assertEqual(totals(), (1, 0), "exactly one CLUSTER REPLICATE across all instances")
        b = self.c.masters()[1]
        wait_until(lambda: role_of(self.c, self.spare) == ("replica", b.id), 10, "spare moved")
        wait_until(lambda: link_up(self.c, self.spare), 15, "link up")


class CoordinationTest(CoordinationBase):
    # Two instances: one leader; an orphan gets exactly one REPLICATE, from the leader, and
    # recorded in etcd; then the leader is SIGKILLed and the other takes over.
    def test_two_instances_one_acts_and_the_other_takes_over_after_sigkill(self):
        everyone = self.instances(2)
        leader = self.one_leader(everyone)
        follower = next(w for w in everyone if w is not leader)
        self.orphan_b()
        self.assert_exactly_one_replicate(everyone, {})
        self.assertEqual(leader.actions("success"), 1)
        records = self.etcd.records(self.prefix + "main/actions/")
        self.assertEqual(len(records), 1, records)
        self.assertEqual(records[0]["who"], leader.coordination()["identity"])
        self.assertEqual(records[0]["action"], "replicate")
        self.assertEqual(records[0]["outcome"], "success")
        self.assertIsNotNone(records[0]["finished"])

        leader.proc.kill()
        killed = time.monotonic()
        wait_until(lambda: follower.leader() == 1.0, TTL_S + POLL_S + 5, "takeover")
        took = time.monotonic() - killed
        print(f"\n  takeover {took:.2f} s after SIGKILL (ttl {TTL_S} s, poll {POLL_S} s)")
        self.assertLessEqual(took, TTL_S + POLL_S + 2.0)
        self.assertIn("last recorded action:", follower.log_text())

    # Three instances: the leader dies first, then a master is orphaned: exactly one of the
    # two survivors acts, once.
    def test_three_instances_after_the_leader_dies_exactly_one_replicate(self):
        everyone = self.instances(3)
        leader = self.one_leader(everyone)
        scraped = {leader: {"success": leader.actions("success"),
                            "failed": leader.actions("failed")}}
        leader.proc.kill()
        killed = time.monotonic()
        survivors = [w for w in everyone if w is not leader]
        new = self.one_leader(survivors, TTL_S + POLL_S + 5)
        print(f"\n  new leader {time.monotonic() - killed:.2f} s after SIGKILL")
        self.orphan_b()
        self.assert_exactly_one_replicate(everyone, scraped)
        self.assertEqual(new.actions("success"), 1)

    # The leader is frozen past its TTL; another takes over; a master is orphaned; the frozen
    # one resumes and must not act on the lease it held before.
    def test_a_resumed_frozen_leader_does_not_act_on_its_stale_lease(self):
        everyone = self.instances(2)
        frozen = self.one_leader(everyone)
        other = next(w for w in everyone if w is not frozen)
        frozen.freeze()
        try:
            wait_until(lambda: other.leader() == 1.0, TTL_S + POLL_S + 8, "takeover while frozen")
            self.orphan_b()
        finally:
            frozen.thaw()
        self.assert_exactly_one_replicate(everyone, {})
        self.assertEqual(other.actions("success"), 1)
        self.assertEqual(frozen.actions("success") + frozen.actions("failed"), 0)
        self.assertEqual(frozen.leader(), 0.0)
        log = frozen.log_text()
        self.assertIn("expired", log)
        self.assertNotIn(" sent to ", log)  # the executor notes each command it sends

    # etcd stops: nobody acts, everybody serves /metrics with coordination_unavailable, the
    # outage is logged once; etcd back: a leader again, and it heals.
    def test_without_etcd_nobody_acts_and_everybody_still_serves_metrics(self):
        everyone = self.instances(2)
        self.one_leader(everyone)
        self.etcd.kill()
        self.orphan_b()

        def all_unavailable():
            return all(metric(w.metrics(), "redis_warden_findings", cluster="main",
                              code="coordination_unavailable") == [1.0] and w.leader() == 0.0
                       for w in everyone)
        wait_until(all_unavailable, 10, "coordination_unavailable on every instance")
        time.sleep(GRACE_S + 6 * POLL_S + 1)
        for w in everyone:
            self.assertEqual(w.actions("success") + w.actions("failed"), 0)
            self.assertEqual(metric(w.metrics(), "redis_warden_orphaned_masters",
                                    cluster="main"), [1.0])
            status = w.coordination()
            self.assertFalse(status["available"])
            self.assertIn("connection refused", status["problem"])
            log = w.log_text()
            self.assertEqual(log.count("coordination: etcd unavailable"), 1, log[-2000:])
            self.assertEqual(log.count("finding=coordination_unavailable"), 1, log[-2000:])

        self.etcd.start()
        self.one_leader(everyone, 20)
        self.assert_exactly_one_replicate(everyone, {})
        for w in everyone:
            self.assertIn("etcd reachable again", w.log_text())


class SecuredEtcdTest(CoordinationBase):
    """etcd over https with client certificates and auth enabled, as production runs it."""

    def make_etcd(self) -> Etcd:
        self.certs = Certificates(os.path.join(self.tmp, "pki"))
        return Etcd(self.tmp, tls=self.certs)

    def setUp(self):
        super().setUp()
        self.etcd.enable_auth("warden", "etcd-s3cret-pw", self.prefix)
        self.password_file = os.path.join(self.tmp, "etcd.pw")
        with open(self.password_file, "w") as f:
            f.write("etcd-s3cret-pw\n")
        self.tls = (f", tls: {{ca_file: {self.certs.ca}, cert_file: {self.certs.client_cert}, "
                    f"key_file: {self.certs.client_key}}}")
        self.auth = f", auth: {{username: warden, password_file: {self.password_file}}}"

    def unavailable_because(self, w: Instance) -> str:
        wait_until(lambda: metric(w.metrics(), "redis_warden_findings", cluster="main",
                                  code="coordination_unavailable") == [1.0], 10,
                   "coordination_unavailable")
        self.assertEqual(w.leader(), 0.0)
        return w.coordination()["problem"]

    # Two instances with the right CA, client certificate and user: one leader, exactly one
    # REPLICATE recorded in etcd. etcd restarts (its tokens die with it): they log in again.
    # Instances with a wrong password, trusting another CA, without a client certificate or
    # with a certificate etcd's gateway refuses never lead, say why, and the password is
    # nowhere in what they print.
    def test_tls_client_certificates_and_auth(self):
        everyone = self.instances(2, self.tls + self.auth)
        leader = self.one_leader(everyone)
        self.orphan_b()
        self.assert_exactly_one_replicate(everyone, {})
        records = self.etcd.records(self.prefix + "main/actions/")
        self.assertEqual([r["who"] for r in records], [leader.coordination()["identity"]])

        self.etcd.kill()
        self.etcd.start()
        self.etcd.login()
        self.one_leader(everyone, 20)

        with open(self.password_file + ".wrong", "w") as f:
            f.write("not-the-password\n")
        wrong_user = self.instances(
            1, self.tls + f", auth: {{username: warden, password_file: {self.password_file}"
                          ".wrong}", first=2)[0]
        problem = self.unavailable_because(wrong_user)
        self.assertIn("etcd user 'warden'", problem)
        self.assertIn("authentication failed", problem)

        other_ca = Certificates(os.path.join(self.tmp, "other-pki"), "other")
        wrong_ca = self.instances(1, f", tls: {{ca_file: {other_ca.ca}, cert_file: "
                                     f"{self.certs.client_cert}, key_file: "
                                     f"{self.certs.client_key}}}" + self.auth, first=3)[0]
        problem = self.unavailable_because(wrong_ca)
        self.assertIn("TLS: the server's certificate is not signed by a trusted CA", problem)

        no_certificate = self.instances(1, f", tls: {{ca_file: {self.certs.ca}}}" + self.auth,
                                        first=4)[0]
        problem = self.unavailable_because(no_certificate)
        self.assertIn("TLS: the server requires a client certificate", problem)
        self.assertIn("bad certificate", problem)

        common_name = self.instances(1, f", tls: {{ca_file: {self.certs.ca}, cert_file: "
                                        f"{self.certs.cn_cert}, key_file: {self.certs.cn_key}}}"
                                     + self.auth, first=5)[0]
        self.assertIn("certificate without a CommonName", self.unavailable_because(common_name))

        self.assertEqual(sorted(w.leader() for w in everyone), [0.0, 1.0])
        for w in everyone + [wrong_user, wrong_ca, no_certificate, common_name]:
            for text in (w.log_text(), w.get("/status")[1], w.metrics()):
                self.assertNotIn("etcd-s3cret-pw", text)
                self.assertNotIn("not-the-password", text)


if __name__ == "__main__":
    unittest.main()
