#!/usr/bin/python3
"""`redis-warden import` against real redis-server: a password-protected standalone 7.0
source with 100,000 keys of mixed types (half with TTLs, some expiring during the copy)
into a password-protected 3x1 cluster. Checks values and TTLs key by key, a dual-writing
application during the copy, kill -9 plus a rerun from the checkpoint, --verify catching
planted mismatches, and the refusals (wrong password, cluster node as source, unhealthy
cluster, foreign checkpoint)."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from redis.cluster import RedisCluster

from common import (WARDEN_BIN, Cluster, Standalone, WardenTestCase, logical_snapshot, run_warden,
                    wait_until, write_mixed_keys, write_secret)

PASSWORD = "import-Cluster-Pw-3"
SOURCE_PASSWORD = "import-Source-Pw-9"
KEYS = 100000
SHORT_LIVED = 300  # keys with 20-2000 ms left when the copy starts: they expire during it


def add_short_lived(r) -> list[bytes]:
    pipe = r.pipeline(transaction=False)
    for i in range(SHORT_LIVED):
        pipe.set(f"short{i}", "soon gone", px=20 + (i * 7) % 1980)
    pipe.execute()
    return [f"short{i}".encode() for i in range(SHORT_LIVED)]


def load_source(r, keys: int) -> None:
    # Half carry a TTL of 1-3 hours.
    write_mixed_keys(r.pipeline(transaction=False), keys, "t",
                     lambda i: 3600 + i % 7200 if i % 2 == 0 else None)
    r.xadd("events", {"login": "alice"})


class NewerRedisSource:
    """A fake standalone source claiming Redis 7.4 whose one key DUMPs as RDB format 12,
    which a 7.0 cluster cannot RESTORE (a real 7.4 is not packaged in Debian 12)."""

    PAYLOAD = b"\x00\x03bar" + b"\x0c\x00" + b"\x01" * 8

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def bulk(data: bytes) -> bytes:
        return b"$%d\r\n%s\r\n" % (len(data), data)

    def answer(self, args: list, queued: list) -> bytes:
        name = args[0].upper()
        if queued is not None and name not in (b"EXEC", b"MULTI"):
            queued.append(args)
            return b"+QUEUED\r\n"
        if name == b"INFO":
            text = b"redis_version:7.4.0\r\n" if args[1] == b"server" else b"cluster_enabled:0\r\n"
            return self.bulk(text)
        if name == b"DBSIZE":
            return b":1\r\n"
        if name == b"SCAN":
            return b"*2\r\n" + self.bulk(b"0") + b"*1\r\n" + self.bulk(b"foo")
        if name == b"EXEC":
            out = b"*%d\r\n" % len(queued)
            for q in queued:
                out += b":-1\r\n" if q[0].upper() == b"PTTL" else self.bulk(self.PAYLOAD)
            return out
        return b"+OK\r\n"

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn):
        reader = conn.makefile("rb")
        queued = None
        try:
            while True:
                header = reader.readline()
                if not header.startswith(b"*"):
                    return
                args = []
                for _ in range(int(header[1:])):
                    size = int(reader.readline()[1:])
                    args.append(reader.read(size + 2)[:-2])
                if args[0].upper() == b"MULTI":
                    queued = []
                reply = self.answer(args, queued)
                if args[0].upper() == b"EXEC":
                    queued = None
                conn.sendall(reply)
        except (OSError, ValueError, IndexError):
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()


class RecordedOldSource(NewerRedisSource):
    """A standalone source answering with the replies a real Redis 3.2.13 recorded
    (tests/fixtures/redis-versions): its INFO server and the DUMP payloads (RDB format 7) of
    one string, hash, list, set and sorted set. Debian 12 packages no 3.2 to run."""

    RECORDING = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "fixtures", "redis-versions", "redis-3.2.13", "password",
                             "master-24000.json")

    def __init__(self):
        with open(self.RECORDING) as f:
            entries = json.load(f)
        self.replies = {tuple(e["command"]): base64.b64decode(e["reply_b64"]) for e in entries}
        self.payloads = {c[1].encode(): r for c, r in self.replies.items() if c[0] == "DUMP"}
        super().__init__()

    def answer(self, args: list, queued: list) -> bytes:
        name = args[0].upper()
        if queued is not None and name not in (b"EXEC", b"MULTI"):
            queued.append(args)
            return b"+QUEUED\r\n"
        if name == b"INFO" and args[1] == b"server":
            return self.replies[("INFO", "server")]
        if name == b"DBSIZE":
            return b":%d\r\n" % len(self.payloads)
        if name == b"SCAN":
            keys = b"".join(self.bulk(k) for k in self.payloads)
            return b"*2\r\n" + self.bulk(b"0") + b"*%d\r\n" % len(self.payloads) + keys
        if name == b"EXEC":
            out = b"*%d\r\n" % len(queued)
            for q in queued:
                out += b":-1\r\n" if q[0].upper() == b"PTTL" else self.payloads[q[1]]
            return out
        return super().answer(args, queued)


class ImportCase(WardenTestCase):
    keys = KEYS

    def setUp(self):
        self.c = Cluster(masters=3, replicas=1, password=PASSWORD).start()
        self.addCleanup(self.c.stop)
        self.s = Standalone(password=SOURCE_PASSWORD).start()
        self.addCleanup(self.s.stop)
        self.source = self.s._helper.redis(self.s.node, decode=False)
        load_source(self.source, self.keys)
        self.secret = write_secret(SOURCE_PASSWORD)
        self.addCleanup(os.unlink, self.secret)
        self.tmp = tempfile.mkdtemp(prefix="warden-import-")
        self.checkpoint = os.path.join(self.tmp, "import.checkpoint")

    def argv(self, *extra: str) -> list[str]:
        return ["import", "--from", self.s.address, "--from-password-file", self.secret,
                "--seed", self.c.masters()[0].address, *extra]

    def run_import(self, *extra: str, limit: float = 120):
        run = run_warden(*self.argv(*extra), env=self.c.cli_env(), limit=limit)
        self.assertNoCrash(run)
        for secret in (PASSWORD, SOURCE_PASSWORD):
            self.assertNotIn(secret, run.out + run.err)
        return run

    def cluster_snapshot(self) -> dict:
        self.c.refresh()
        return logical_snapshot([self.c.redis(m, decode=False) for m in self.c.masters()])

    def source_snapshot(self) -> tuple[dict, float, float]:
        started = time.monotonic()
        snap = logical_snapshot([self.source])
        return snap, started, time.monotonic()

    def assert_copied(self, before: dict, started: float, finished: float,
                      overwritten: dict | None = None, ignore: set | None = None) -> dict:
        """Every key of `before` still alive is in the cluster with its value and a TTL
        within 2 s; no key arrived without the TTL it had; short-lived keys are gone."""
        least_ms = (time.monotonic() - finished) * 1000
        after = self.cluster_snapshot()
        most_ms = (time.monotonic() - started) * 1000
        overwritten = overwritten or {}
        for key, (value, ttl) in before.items():
            if 0 <= ttl < most_ms + 2000:
                continue  # may have expired since: checked below
            self.assertIn(key, after, f"{key!r} missing from the cluster")
            new_value, new_ttl = after[key]
            if key in overwritten:
                self.assertEqual(new_value, overwritten[key], f"{key!r} lost the writer's value")
                continue
            self.assertEqual(new_value, value, f"value of {key!r}")
            if ttl < 0:
                self.assertEqual(new_ttl, -1, f"{key!r} gained a TTL")
            else:
                self.assertGreaterEqual(new_ttl, ttl - most_ms - 2000, f"TTL of {key!r}")
                self.assertLessEqual(new_ttl, ttl - least_ms + 2000, f"TTL of {key!r}")
        for key, (_, new_ttl) in after.items():
            if ignore and key in ignore:
                continue
            self.assertIn(key, before, f"{key!r} appeared from nowhere")
            if before[key][1] >= 0 and key not in overwritten:
                self.assertGreaterEqual(new_ttl, 0, f"{key!r} arrived without its TTL")
        return after


class ImportTest(ImportCase):
    def test_every_key_arrives_with_its_value_and_ttl(self):
        before, started, finished = self.source_snapshot()
        short = add_short_lived(self.source)
        run = self.run_import("--yes", "--verify", "--sample", "2000")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertIn("verify: OK", run.out)
        print(f"\n  {[l for l in run.out.splitlines() if l.startswith('scanned')][0]}")
        rc = RedisCluster(host=self.c.masters()[0].host, port=self.c.masters()[0].port,
                          password=PASSWORD)
        self.addCleanup(rc.close)
        # Keys that expire during the copy: any that arrived still carries its TTL...
        ttls = [rc.pttl(k) for k in short]
        self.assertNotIn(-1, ttls, "a short-lived key arrived without its TTL")
        self.assert_copied(before, started, finished, ignore=set(short))
        # ... and once their time is up, none lives on.
        time.sleep(2.2)
        self.assertEqual([k for k in short if rc.exists(k)], [],
                         "keys that expired in the source live on")

    def test_a_dual_writing_application_keeps_its_values(self):
        rc = RedisCluster(host=self.c.masters()[0].host, port=self.c.masters()[0].port,
                          password=PASSWORD, socket_timeout=10)
        self.addCleanup(rc.close)
        written = {}
        rounds = {"during": 0}
        stop = threading.Event()
        importing = threading.Event()
        keys = [f"t{i}" for i in range(1, 2000) if i % 7 != 0][:1000]  # every type, some TTLs

        def writer():
            n = 0
            while not stop.is_set():
                n += 1
                pipe = self.source.pipeline(transaction=False)
                for k in keys:
                    pipe.set(k, f"w{n}")
                pipe.execute()
                cpipe = rc.pipeline()
                for k in keys:
                    cpipe.set(k, f"w{n}")
                cpipe.execute()
                for k in keys:
                    written[k.encode()] = f"w{n}".encode()
                if importing.is_set():
                    rounds["during"] += 1

        before, started, finished = self.source_snapshot()
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        wait_until(lambda: written, 20, "the writer's first round")
        importing.set()
        run = self.run_import("--yes", "--pipeline", "200")
        importing.clear()
        stop.set()
        thread.join(30)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertGreater(rounds["during"], 0, "the writer did not write during the import")
        print(f"\n  writer rounds during the import: {rounds['during']}")
        self.assert_copied(before, started, finished, overwritten=written)
        self.assertRegex(run.out, r"already in the cluster [1-9]")

    def test_slots_moving_during_the_import_are_followed(self):
        """A reshard runs while the import writes: RESTOREs meet MOVED and ASK and follow."""
        before, started, finished = self.source_snapshot()
        target = self.c.masters()[2].address
        reshard = subprocess.Popen([WARDEN_BIN, "rebalance", "--seed", self.c.masters()[0].address,
                                    "--move", "0-5000", "--to", target, "--yes", "--parallel",
                                    "1", "--pipeline", "5"],
                                   env=self.c.cli_env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            # Import once the reshard is under way (its first progress line).
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not reshard.stderr.readline().startswith("slots"):
                pass
            run = self.run_import("--yes", "--pipeline", "100", "--parallel", "1")
            out, err = reshard.communicate(timeout=120)
        finally:
            if reshard.poll() is None:
                reshard.kill()
                reshard.wait(10)
        self.assertEqual(reshard.returncode, 0, out + err)
        self.assertIn("moved 5001 slot(s)", out)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertRegex(run.out, r"followed [1-9]\d* MOVED/ASK redirect")
        print(f"\n  {[l for l in run.out.splitlines() if l.startswith('followed')][0]}")
        self.assert_copied(before, started, finished)

    def test_kill_9_midway_then_rerun_from_the_checkpoint(self):
        before, started, finished = self.source_snapshot()
        proc = subprocess.Popen([WARDEN_BIN, *self.argv("--yes", "--checkpoint", self.checkpoint,
                                                        "--pipeline", "20", "--parallel", "1")],
                                env=self.c.cli_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            def midway():
                try:
                    with open(self.checkpoint) as f:
                        saved = json.load(f)
                except (OSError, ValueError):
                    return None
                return saved if saved["scanned"] >= 10000 else None
            saved = wait_until(midway, 60, "a checkpoint past 10,000 keys", interval=0.05)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(10)
        self.assertFalse(saved["complete"], "the kill did not land midway")
        run = self.run_import("--yes", "--checkpoint", self.checkpoint)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertIn("resuming at SCAN cursor", run.out)
        with open(self.checkpoint) as f:
            self.assertTrue(json.load(f)["complete"])
        print(f"\n  killed at {saved['scanned']} scanned; rerun: "
              f"{[l for l in run.out.splitlines() if l.startswith('scanned')][0]}")
        self.assert_copied(before, started, finished)
        again = self.run_import("--yes", "--checkpoint", self.checkpoint)
        self.assertEqual(again.rc, 0, again.describe())
        self.assertIn("says the copy is complete", again.out)


class ImportCheckTest(ImportCase):
    keys = 3000

    def test_verify_catches_planted_mismatches(self):
        run = self.run_import("--yes")
        self.assertEqual(run.rc, 0, run.describe())
        ok = self.run_import("--dry-run", "--verify")
        self.assertEqual(ok.rc, 0, ok.describe())
        self.assertIn("verify: OK", ok.out)
        rc = RedisCluster(host=self.c.masters()[0].host, port=self.c.masters()[0].port,
                          password=PASSWORD)
        self.addCleanup(rc.close)
        rc.set("t5", "tampered")  # value (t5 is a string)
        rc.delete("t10")          # missing
        rc.persist("t20")         # TTL lost (t20 has one)
        rc.sadd("t3", "intruder")  # a set member more
        bad = self.run_import("--dry-run", "--verify")
        self.assertEqual(bad.rc, 1, bad.describe())
        self.assertIn("verify: MISMATCH", bad.out)
        for key, why in (("t5", "value differs"), ("t10", "missing from the cluster"),
                         ("t20", "TTL differs"), ("t3", "value differs")):
            self.assertIn(f"'{key}': {why}", bad.out)

    def test_dry_run_writes_nothing(self):
        run = self.run_import("--dry-run")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertRegex(run.out, r"Redis 7\.\d+\.\d+, 3\d\d\d key\(s\) in db 0")
        self.assertEqual(self.cluster_snapshot(), {})

    def test_match_and_db_select_what_is_copied(self):
        pipe = self.source.pipeline(transaction=False)
        pipe.select(3)
        pipe.set("t1x", "from db 3")
        pipe.select(0)
        pipe.execute()
        run = self.run_import("--yes", "--match", "t1?")
        self.assertEqual(run.rc, 0, run.describe())
        expected = sorted(self.source.scan_iter(match="t1?"))
        self.assertEqual(len(expected), 9)  # t14 is {user14}:t14
        self.assertEqual(sorted(self.cluster_snapshot()), expected)
        run = self.run_import("--yes", "--db", "3", "--mode", "replace")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertEqual(self.cluster_snapshot()[b"t1x"], (b"from db 3", -1))

    def test_refusals_name_the_problem(self):
        wrong = write_secret("not-the-password")
        self.addCleanup(os.unlink, wrong)
        run = run_warden("import", "--from", self.s.address, "--from-password-file", wrong,
                         "--seed", self.c.masters()[0].address, "--yes", env=self.c.cli_env())
        self.assertEqual(run.rc, 1, run.describe())
        self.assertIn(f"source {self.s.address}", run.err)
        self.assertIn("auth", run.err.lower())
        self.assertNotIn("not-the-password", run.out + run.err)

        node = self.c.masters()[1].address
        cluster_secret = write_secret(PASSWORD)
        self.addCleanup(os.unlink, cluster_secret)
        run = run_warden("import", "--from", node, "--from-password-file", cluster_secret,
                         "--seed", self.c.masters()[0].address, "--yes", env=self.c.cli_env())
        self.assertEqual(run.rc, 1, run.describe())
        self.assertIn("is a cluster node", run.err)

        with open(self.checkpoint, "w") as f:
            json.dump({"source": "10.9.9.9:6379", "db": 0, "match": "*", "cursor": "42",
                       "complete": False, "scanned": 1, "copied": 1, "existing": 0,
                       "expired": 0}, f)
        run = self.run_import("--yes", "--checkpoint", self.checkpoint)
        self.assertEqual(run.rc, 1, run.describe())
        self.assertIn("cannot be resumed: it belongs to source 10.9.9.9:6379", run.err)

        doomed = self.c.masters()[2]
        for node in (doomed, *self.c.replicas_of(doomed)):
            self.c.kill(node)
        run = self.run_import("--yes", "--settle-timeout", "1000")
        self.assertEqual(run.rc, 1, run.describe())
        self.assertRegex(run.err, r"cluster not settled|not healthy enough")
        self.assertEqual(self.cluster_snapshot_reachable(), {})

    def test_a_source_newer_than_the_cluster_is_named(self):
        fake = NewerRedisSource()
        self.addCleanup(fake.close)
        run = run_warden("import", "--from", fake.address, "--seed", self.c.masters()[0].address,
                         "--yes", env=self.c.cli_env())
        self.assertNoCrash(run)
        self.assertEqual(run.rc, 1, run.describe())
        self.assertIn("RDB format 12 (Redis 7.4+)", run.err)
        self.assertIn("source Redis 7.4.0", run.err)
        self.assertIn("(Redis 7.0.", run.err)
        self.assertIn("source is newer than the target", run.err)

    def test_a_redis_3_2_source_imports_into_a_7_0_cluster(self):
        old = RecordedOldSource()
        self.addCleanup(old.close)
        run = run_warden("import", "--from", old.address, "--seed", self.c.masters()[0].address,
                         "--yes", env=self.c.cli_env())
        self.assertNoCrash(run)
        self.assertEqual(run.rc, 0, run.describe())
        rc = RedisCluster(host=self.c.masters()[0].host, port=self.c.masters()[0].port,
                          password=PASSWORD, decode_responses=True)
        self.assertEqual(rc.get("{cap:1}s"), "v")
        self.assertEqual(rc.hgetall("{cap:1}h"), {"f": "v"})
        self.assertEqual(rc.lrange("{cap:1}l", 0, -1), ["a", "b"])
        self.assertEqual(rc.smembers("{cap:1}st"), {"a"})
        self.assertEqual(rc.zrange("{cap:1}z", 0, -1, withscores=True), [("a", 1.0)])

    def cluster_snapshot_reachable(self) -> dict:
        return logical_snapshot([self.c.redis(m, decode=False) for m in self.c.masters()
                                 if m.alive()])


if __name__ == "__main__":
    unittest.main()
