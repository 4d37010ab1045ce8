#!/usr/bin/python3
"""redis-warden end to end against nine real server versions, replayed.

Redis 3.2.13, 4.0.14, 5.0.14, 6.0.20, 6.2.16, 7.0.15, 7.2.6, 7.4.1 and Valkey 8.0.1 each
answered a fixed list of commands once as a healthy 3 masters x 1 replica cluster, without
(`open`) and with a password (`password`); tests/fixtures/redis-versions holds the replies
and tests/harness/replay_server.py serves them, one loopback port per node. The binary is
the real one; only the servers are recordings.

Every recorded node listens on 127.0.0.1, so every replica shares its master's failure
domain: `replica_same_host` (one per master) and `quorum_domain_risk` are the correct
verdict of `check` on these clusters (exit 1, status warning, so the daemon's
`redis_warden_cluster_ok` is 0 by contract), and the tests accept nothing else.

Run: WARDEN_BIN=build/redis-warden /usr/bin/python3 tests/integration/test_versions.py [-v]
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from typing import Optional

from common import (EXIT_CRITICAL, EXIT_WARNING, ROOT, WARDEN_BIN, WardenTestCase, codes,
                    findings, run_warden, summary, wait_until)

from test_daemon import free_port, metric  # noqa: E402
import replay_server  # noqa: E402 - tests/harness is on sys.path (common)
from replay_server import (ConnState, NodeReplay, ReplayCluster, free_base_port,  # noqa: E402
                           resp_decode, resp_end)

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "redis-versions")
VERSIONS = ["redis-3.2.13", "redis-4.0.14", "redis-5.0.14", "redis-6.0.20", "redis-6.2.16",
            "redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "valkey-8.0.1"]
CASES = ["open", "password"]
PASSWORD = "capture-Pa55"
# What one IP for every node means (see the module docstring).
SINGLE_HOST_CODES = {"replica_same_host", "quorum_domain_risk"}


def major_minor(version: str) -> tuple[int, int]:
    m = re.search(r"-(\d+)\.(\d+)", version)
    return int(m.group(1)), int(m.group(2))


def warden_env(case: str) -> dict:
    env = dict(os.environ)
    env.pop("REDISCLI_AUTH", None)
    env.pop("NOTIFY_SOCKET", None)
    if case == "password":
        env["REDISCLI_AUTH"] = PASSWORD  # never on the command line
    return env


def recorded(version: str, case: str, port: int) -> list[tuple[list[str], bytes]]:
    path = os.path.join(FIXTURES, version, case, f"{'master' if port < 24003 else 'replica'}"
                        f"-{port}.json")
    with open(path) as f:
        return [(e["command"], base64.b64decode(e["reply_b64"])) for e in json.load(f)]


def recorded_masters(version: str, case: str) -> list[dict]:
    """Masters of node 24000's recorded CLUSTER NODES view: id, port, slot ranges."""
    for command, reply in recorded(version, case, 24000):
        if command == ["CLUSTER", "NODES"] and reply.startswith(b"$"):
            text, _ = resp_decode(reply)
            break
    else:
        raise AssertionError(f"{version}/{case}: no CLUSTER NODES recorded")
    masters = []
    for line in text.decode().splitlines():
        fields = line.split()
        if "master" not in fields[2].split(","):
            continue
        port = int(fields[1].split("@")[0].split(",")[0].rsplit(":", 1)[1])
        ranges = []
        for r in fields[8:]:
            if r.startswith("["):
                continue
            lo, _, hi = r.partition("-")
            ranges.append((int(lo), int(hi or lo)))
        masters.append({"id": fields[0], "port": port, "ranges": ranges})
    return sorted(masters, key=lambda m: m["port"])


class RespClient:
    """A minimal bounded RESP2 client for the replay server's own tests."""

    def __init__(self, address: str, timeout: float = 3.0):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    @staticmethod
    def encode(*args) -> bytes:
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        return out

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> bytes:
        """One raw reply; b"" when the server closed the connection."""
        while True:
            try:
                end = resp_end(self.buf)
                reply, self.buf = self.buf[:end], self.buf[end:]
                return reply
            except (ValueError, IndexError):
                pass
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self.buf += chunk

    def call(self, *args) -> bytes:
        self.send(self.encode(*args))
        return self.read()

    def close(self) -> None:
        self.sock.close()


# -- the replay server itself ----------------------------------------------------------------

class ReplayServerTest(unittest.TestCase):
    """The replay is only worth what it replays: these pin what it answers."""

    def test_every_reply_survives_the_port_rewrite(self):
        base = 15000
        for version in VERSIONS:
            for case in CASES:
                with self.subTest(version=version, case=case):
                    for port in range(24000, 24006):
                        path = os.path.join(FIXTURES, version, case,
                                            f"{'master' if port < 24003 else 'replica'}-{port}.json")
                        # The constructor parses every rewritten reply as exactly one value.
                        node = NodeReplay(path, base + port - 24000, base, case == "password")
                        state = ConnState(authed=True)
                        nodes = node.answer(state, [b"CLUSTER", b"NODES"])
                        text, _ = resp_decode(nodes)
                        self.assertNotRegex(text, rb"(?<![0-9A-Za-z])[23]400[0-5](?![0-9A-Za-z])")
                        self.assertIn(b":%d@%d myself" % (base + port - 24000,
                                                          base + port - 24000 + 10000)
                                      if major_minor(version) >= (4, 0)
                                      else b":%d myself" % (base + port - 24000), text)
                        info, _ = resp_decode(node.answer(state, [b"INFO", b"server"]))
                        self.assertIn(b"tcp_port:%d\r\n" % (base + port - 24000), info)
                        # Numbers that only look like ports stay as recorded.
                        raw_memory = [r for c, r in recorded(version, case, port)
                                      if c == ["INFO", "memory"]][0]
                        self.assertEqual(node.answer(state, [b"INFO", b"memory"]), raw_memory)

    def test_version_error_texts_are_derived_like_the_recorded_ones(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                path = os.path.join(FIXTURES, version, "open", "master-24000.json")
                node = NodeReplay(path, 15000, 15000, False)
                checked = 0
                for command, reply in recorded(version, "open", 24000):
                    argv = [a.encode() for a in command]
                    if reply.startswith(b"-") and b"unknown command" in reply.lower():
                        self.assertEqual(node.unknown_command(argv), reply, command)
                        checked += 1
                    if command[0] in ("CLUSTER", "ACL") and len(command) > 1 and \
                            b"subcommand" in reply.lower():
                        self.assertEqual(node.unknown_subcommand(argv), reply, command)
                        checked += 1
                self.assertGreaterEqual(checked, 2)
                # And for a command never recorded, the version's own format.
                got = node.answer(ConnState(), [b"FOO", b"a", b"b"])
                expected = {(3, 2): b"-ERR unknown command 'FOO'\r\n",
                            (7, 0): b"-ERR unknown command 'FOO', with args beginning with: "
                                    b"'a' 'b' \r\n"}
                mm = major_minor(version)
                if mm == (3, 2) or mm >= (7, 0):
                    self.assertEqual(got, expected[(3, 2) if mm == (3, 2) else (7, 0)])
                else:
                    self.assertEqual(got, b"-ERR unknown command `FOO`, with args beginning "
                                          b"with: `a`, `b`, \r\n")

    def test_auth_state_pipelining_lookups_and_bad_input(self):
        for version in ("redis-3.2.13", "redis-6.0.20", "redis-7.0.15"):
            with self.subTest(version=version), ReplayCluster(os.path.join(FIXTURES, version),
                                                              "password") as rc:
                c = RespClient(rc.seed)
                other = RespClient(rc.address_of(24004))
                try:
                    wrong = [r for cmd, r in recorded(version, "password", 24000)
                             if cmd == ["AUTH", "wrong-password"]][0]
                    # Pipelined: all sent in one write, answered in order.
                    c.send(b"".join([c.encode("PING"), c.encode("cluster", "nodes"),
                                     c.encode("AUTH", "wrong-password"),
                                     c.encode("AUTH", PASSWORD), c.encode("ping"),
                                     c.encode("CONFIG", "GET", "port"),
                                     c.encode("config", "get", "no-such-parameter"),
                                     c.encode("CLUSTER", "COUNTKEYSINSLOT", "12345")]))
                    self.assertTrue(c.read().startswith(b"-NOAUTH"))
                    self.assertTrue(c.read().startswith(b"-NOAUTH"))
                    self.assertEqual(c.read(), wrong)
                    self.assertEqual(c.read(), b"+OK\r\n")
                    self.assertEqual(c.read(), b"+PONG\r\n")
                    port = str(rc.nodes[0].port).encode()
                    self.assertEqual(c.read(), b"*2\r\n$4\r\nport\r\n$5\r\n%s\r\n" % port)
                    self.assertEqual(c.read(), b"*0\r\n")
                    self.assertEqual(c.read(), b":0\r\n")
                    # State is per connection.
                    self.assertTrue(other.call("INFO", "server").startswith(b"-NOAUTH"))
                    # A malformed request: a protocol error, then the connection closes.
                    c.send(b"*1\r\n$x\r\n")
                    self.assertTrue(c.read().startswith(b"-ERR Protocol error"))
                    self.assertEqual(c.read(), b"")
                    self.assertTrue(other.call("AUTH", PASSWORD).startswith(b"+OK"))
                    self.assertTrue(other.call("CLUSTER", "NODES").startswith(b"$"))
                finally:
                    c.close()
                    other.close()

    def test_cli_serves_until_sigterm(self):
        if not os.access(WARDEN_BIN, os.X_OK):
            self.skipTest("no binary")
        directory = os.path.join(FIXTURES, "redis-5.0.14", "open")
        for attempt in range(3):
            base = free_base_port()
            proc = subprocess.Popen([sys.executable, replay_server.__file__, directory,
                                     "--base-port", str(base)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                out = b""
                deadline = time.monotonic() + 10
                # Raw reads: select() on a buffered reader misses lines already buffered.
                while b"ready\n" not in out and time.monotonic() < deadline:
                    ready, _, _ = select.select([proc.stdout], [], [], 0.5)
                    if ready:
                        chunk = os.read(proc.stdout.fileno(), 4096)
                        if not chunk:
                            break
                        out += chunk
                lines = out.decode().splitlines()
                if "ready" not in lines:
                    if proc.poll() is not None and attempt < 2:
                        continue  # the ports were taken in between: another base
                    self.fail(f"replay_server.py did not get ready: {lines} "
                              f"{proc.stderr.read() if proc.poll() is not None else ''}")
                addresses = [line.split()[0] for line in lines[:-1]]
                self.assertEqual(addresses, [f"127.0.0.1:{base + i}" for i in range(6)])
                run = run_warden("check", "--seed", addresses[0], "--json",
                                 env=warden_env("open"))
                self.assertEqual(len(run.json()["nodes"]), 6, run.describe())
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(5), 0)
                return
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(5)
                proc.stdout.close()
                proc.stderr.close()


# -- redis-warden against the recordings -----------------------------------------------------

class VersionsTest(WardenTestCase):
    def replay(self, version: str, case: str) -> ReplayCluster:
        return ReplayCluster(os.path.join(FIXTURES, version), case)

    def run_json(self, rc: ReplayCluster, case: str, *args: str):
        run = run_warden(*args, "--seed", rc.seed, "--json", env=warden_env(case))
        self.assertNoCrash(run)
        self.assertNotIn(PASSWORD, run.out + run.err, "the password appeared in the output")
        return run, run.json()

    # -- check
    def test_check(self):
        for version in VERSIONS:
            for case in CASES:
                with self.subTest(version=version, case=case), self.replay(version, case) as rc:
                    run, rep = self.run_json(rc, case, "check")
                    self.assert_healthy_single_host(run, rep, rc)

    def assert_healthy_single_host(self, run, rep: dict, rc: ReplayCluster) -> None:
        why = f"{summary(rep)}\nexit {run.rc}"
        self.assertEqual(set(codes(rep)), SINGLE_HOST_CODES, why)
        self.assertEqual(len(findings(rep, "replica_same_host")), 3, why)
        self.assertEqual(rep["status"], "warning", why)
        self.assertExit(run, EXIT_WARNING)
        self.assertEqual(rep["quorum"], {"voting_masters": 3, "healthy_voting_masters": 3,
                                         "needed": 2, "margin": 1}, why)
        nodes = rep["nodes"]
        self.assertEqual(len(nodes), 6, why)
        self.assertEqual(sorted(n["address"] for n in nodes), sorted(rc.addresses))
        self.assertTrue(all(n["reachable"] for n in nodes), nodes)
        masters = [n for n in nodes if n["role"] == "master"]
        replicas = [n for n in nodes if n["role"] == "replica"]
        self.assertEqual(len(masters), 3, nodes)
        self.assertEqual(len(replicas), 3, nodes)
        self.assertTrue(all(m["slots"] > 0 for m in masters), masters)
        self.assertEqual(sum(m["slots"] for m in masters), 16384)
        master_ids = {m["id"] for m in masters}
        self.assertEqual({r["master_id"] for r in replicas}, master_ids, replicas)

    # -- audit
    def test_audit(self):
        for version in VERSIONS:
            for case in CASES:
                with self.subTest(version=version, case=case), self.replay(version, case) as rc:
                    run, rep = self.run_json(rc, case, "audit")
                    why = json.dumps(rep, indent=1)[:4000]
                    found = codes(rep)
                    for node in rep["nodes"]:
                        self.assertFalse([u for u in node.get("unknown", []) if "DRYRUN" in u],
                                         f"{node['address']}: {node.get('unknown')}")
                    self.assertEqual({n["redis_version"] for n in rep["nodes"]},
                                     {"7.2.4" if version.startswith("valkey") else
                                      version.split("-")[1]}, why)
                    if case == "open":
                        disabled = findings(rep, "auth_disabled")
                        self.assertEqual(len(disabled), 1, why)
                        self.assertEqual(disabled[0]["severity"], "critical")
                        self.assertEqual(len(disabled[0]["nodes"]), 6, why)
                        self.assertExit(run, EXIT_CRITICAL)
                        continue
                    self.assertNotIn("auth_disabled", found, why)
                    exposed = findings(rep, "dangerous_commands_exposed")
                    self.assertEqual(len(exposed), 1, why)
                    self.assertEqual(len(exposed[0]["nodes"]), 6, why)
                    self.assertTrue(exposed[0]["message"].startswith("user 'default' can run"),
                                    exposed[0]["message"])
                    self.assertIn("FLUSHALL", exposed[0]["message"])
                    self.assertExit(run, EXIT_WARNING)
                    # Where the judgement came from, per version.
                    seen = rc.commands_seen()
                    mm = major_minor(version)
                    if mm >= (7, 0):
                        source = "ACL DRYRUN"
                    elif mm >= (6, 0):
                        source = "ACL LIST"
                    else:
                        source = "COMMAND INFO"
                    for address, commands in seen.items():
                        self.assertIn(source, commands, f"{address} was never asked {source}")

    # -- the daemon
    def test_daemon(self):
        for version in VERSIONS:
            with self.subTest(version=version), self.replay(version, "password") as rc, \
                    tempfile.TemporaryDirectory(prefix="warden-versions-") as tmp:
                self.run_daemon(version, rc, tmp)

    def run_daemon(self, version: str, rc: ReplayCluster, tmp: str) -> None:
        secret = os.path.join(tmp, "cluster.pass")
        with open(secret, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(secret, 0o600)
        config = os.path.join(tmp, "warden.yaml")
        with open(config, "w") as f:
            f.write("clusters:\n"
                    "  - name: replayed\n"
                    f"    seeds: [{rc.seed}, {rc.address_of(24004)}]\n"
                    f"    auth: {{password_file: {secret}}}\n"
                    "    poll_interval: 200ms\n"
                    "    timeout: 500ms\n"
                    "    security_interval: 1s\n")
        port = free_port()
        log = open(os.path.join(tmp, "daemon.log"), "w+")
        proc = subprocess.Popen([WARDEN_BIN, "run", "--config", config, "--listen",
                                 f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT,
                                env=warden_env("open"))

        def get(path: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        def log_text() -> str:
            log.flush()
            with open(log.name) as f:
                return f.read()[-3000:]

        try:
            def polled() -> Optional[str]:
                if proc.poll() is not None:
                    raise AssertionError(f"daemon exited {proc.returncode}:\n{log_text()}")
                status, text = get("/metrics")
                if status == 200 and metric(text, "redis_warden_voting_masters",
                                            cluster="replayed") and \
                        metric(text, "redis_warden_last_audit_timestamp_seconds",
                               cluster="replayed"):
                    return text
                return None

            try:
                text = wait_until(polled, 10, "a completed poll and audit")
            except Exception as exc:  # noqa: BLE001
                self.fail(f"{exc}\n{log_text()}")
            why = f"{text[-4000:]}\n{log_text()}"
            m = lambda name, **labels: metric(text, name, cluster="replayed", **labels)  # noqa
            self.assertEqual(m("redis_warden_voting_masters"), [3.0], why)
            self.assertEqual(m("redis_warden_quorum_margin"), [1.0], why)
            self.assertEqual(m("redis_warden_orphaned_masters"), [0.0], why)
            self.assertEqual(m("redis_warden_slots_uncovered"), [0.0], why)
            self.assertEqual(m("redis_warden_node_up"), [1.0] * 6, why)
            # One IP for all nodes: the host-layout warnings, so not "ok" (see the docstring).
            self.assertEqual(m("redis_warden_cluster_ok"), [0.0], why)
            self.assertEqual(m("redis_warden_status"), [1.0], why)
            active = {re.search(r'code="([^"]+)"', line).group(1)
                      for line in text.splitlines()
                      if line.startswith("redis_warden_findings{") and 'cluster="replayed"' in line
                      and not line.endswith(" 0")}
            self.assertEqual(active, SINGLE_HOST_CODES | {"dangerous_commands_exposed"}, why)
            self.assertEqual(m("redis_warden_findings", code="auth_disabled"), [0.0], why)

            status, body = get("/status")
            self.assertEqual(status, 200, body)
            self.assertNotIn(PASSWORD, body)
            cluster = json.loads(body)["clusters"][0]
            self.assertEqual(cluster["cluster"], "replayed")
            self.assertEqual(sorted(n["address"] for n in cluster["nodes"]),
                             sorted(rc.addresses), body[:3000])

            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rc_ = proc.wait(5)
            self.assertEqual(rc_, 0, log_text())
            self.assertLess(time.monotonic() - started, 3.0)
            self.assertNotIn(PASSWORD, log_text())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
            log.close()

    # -- rebalance --dry-run: MIGRATE cannot authenticate before 4.0.7
    def dry_run_move(self, version: str):
        with self.replay(version, "password") as rc:
            target = [m for m in recorded_masters(version, "password")
                      if not any(lo <= 0 <= hi for lo, hi in m["ranges"])][0]
            run = run_warden("rebalance", "--seed", rc.seed, "--move", "0-99", "--to",
                             target["id"], "--dry-run", env=warden_env("password"))
            self.assertNoCrash(run)
            self.assertNotIn(PASSWORD, run.out + run.err)
            sent = {c for commands in rc.commands_seen().values() for c in commands}
            self.assertFalse(sent & {"MIGRATE", "CLUSTER SETSLOT", "RESTORE", "DEL"},
                             f"a dry run changed something: {sorted(sent)}")
            self.assertExit(run, 0)
            self.assertIn("0-99", run.out, run.describe())
            self.assertIn(rc.address_of(target["port"]), run.out, run.describe())
            return run

    def test_rebalance_dry_run_on_3_2_says_client_side_moves_and_why(self):
        run = self.dry_run_move("redis-3.2.13")
        self.assertIn("client-side", run.out, run.describe())
        self.assertIn("4.0.7", run.out, run.describe())

    def test_rebalance_dry_run_on_7_0_uses_migrate(self):
        run = self.dry_run_move("redis-7.0.15")
        self.assertNotIn("client-side", run.out, run.describe())


if __name__ == "__main__":
    unittest.main()
