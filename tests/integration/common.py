"""Shared helpers for redis-warden's integration tests (system python3, unittest).

The binary comes from env WARDEN_BIN (ctest sets it), default build/redis-warden at the
repository root. Clusters come from tests/harness/cluster.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from dataclasses import dataclass
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))

import cluster as harness  # noqa: E402
from cluster import Cluster, HarnessError, Standalone, wait_until  # noqa: E402,F401

# re-exported for the test modules
__all__ = ["harness", "Cluster", "HarnessError", "Standalone", "wait_until", "WARDEN_BIN",
           "EXIT_OK", "EXIT_WARNING", "EXIT_CRITICAL", "EXIT_UNKNOWN", "Run", "run_warden",
           "check_args", "codes", "findings", "finding_nodes", "node_by_id", "summary",
           "write_secret", "WardenTestCase"]


WARDEN_BIN = os.environ.get("WARDEN_BIN") or os.path.join(ROOT, "build", "redis-warden")
if not os.path.isabs(WARDEN_BIN):
    WARDEN_BIN = os.path.join(ROOT, WARDEN_BIN)

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_UNKNOWN = 0, 1, 2, 3
# Hard bound on any single run of the binary: a hang fails the test instead of the suite.
RUN_LIMIT = float(os.environ.get("WARDEN_RUN_LIMIT", "20"))


@dataclass
class Run:
    args: list
    rc: int
    out: str
    err: str
    elapsed: float

    @property
    def cmd(self) -> str:
        return " ".join(self.args)

    def describe(self) -> str:
        return (f"command: {self.cmd}\nexit: {self.rc}  wall: {self.elapsed:.3f}s\n"
                f"stdout:\n{self.out[-3000:]}\nstderr:\n{self.err[-3000:]}")

    def json(self) -> dict:
        try:
            return json.loads(self.out)
        except ValueError as exc:
            raise AssertionError(f"stdout is not one JSON object ({exc})\n{self.describe()}")


def run_warden(*args: str, env: Optional[dict] = None, limit: float = RUN_LIMIT,
               stdin: Optional[str] = None) -> Run:
    """Run the binary; never hangs longer than limit (then the test fails)."""
    argv = [WARDEN_BIN, *map(str, args)]
    if env is None:
        env = dict(os.environ)
        env.pop("REDISCLI_AUTH", None)
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True,
                           timeout=limit, errors="replace")
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{' '.join(argv)} did not finish within {limit}s (hang); "
                             f"stdout: {exc.stdout!r:.500} stderr: {exc.stderr!r:.500}")
    return Run(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)


def check_args(c: Cluster, *seeds: str) -> list[str]:
    seeds = seeds or (c.seeds()[0],)
    out = ["check"]
    for s in seeds:
        out += ["--seed", s]
    return out


def codes(report: dict) -> list[str]:
    return [f["code"] for f in report.get("findings", [])]


def findings(report: dict, code: str) -> list[dict]:
    return [f for f in report.get("findings", []) if f.get("code") == code]


def finding_nodes(report: dict, code: str) -> set:
    out = set()
    for f in findings(report, code):
        out.update(f.get("nodes", []))
    return out


def node_by_id(report: dict, node_id: str) -> Optional[dict]:
    for n in report.get("nodes", []):
        if n.get("id") == node_id:
            return n
    return None


def summary(report: dict) -> str:
    return json.dumps({"status": report.get("status"), "quorum": report.get("quorum"),
                       "findings": report.get("findings")}, indent=1)[:3000]


def write_secret(text: str, directory: Optional[str] = None) -> str:
    fd, path = tempfile.mkstemp(prefix="warden-pass-", dir=directory)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    return path


class WardenTestCase(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        if not os.access(WARDEN_BIN, os.X_OK):
            if os.environ.get("WARDEN_SKIP_MISSING"):
                raise unittest.SkipTest(f"binary {WARDEN_BIN} not built")
            raise AssertionError(f"binary {WARDEN_BIN} not found or not executable "
                                 "(set WARDEN_BIN)")

    def assertExit(self, run: Run, *codes_: int):
        self.assertIn(run.rc, codes_, f"unexpected exit code\n{run.describe()}")

    def assertNoCrash(self, run: Run):
        self.assertGreaterEqual(run.rc, 0, f"killed by signal {-run.rc}\n{run.describe()}")
        for marker in ("AddressSanitizer", "runtime error:", "terminate called", "Segmentation"):
            self.assertNotIn(marker, run.err, f"crash marker {marker!r}\n{run.describe()}")

    def check_json(self, c: Cluster, *seeds: str, extra: tuple = (), env=None) -> tuple[Run, dict]:
        env = c.cli_env() if env is None else env
        run = run_warden(*check_args(c, *seeds), "--json", *c.cli_args(), *extra, env=env)
        self.assertNoCrash(run)
        return run, run.json()

    def poll_check(self, c: Cluster, pred: Callable[[dict], bool], timeout: float, what: str,
                   *seeds: str, extra: tuple = ()) -> tuple[Run, dict, float]:
        """Run check --json until pred(report) holds; returns (run, report, seconds)."""
        t0 = time.monotonic()
        last = None
        while True:
            run, rep = self.check_json(c, *seeds, extra=extra)
            last = (run, rep)
            if pred(rep):
                return run, rep, time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                self.fail(f"{what}: not seen within {timeout:.1f}s; last report:\n"
                          f"{summary(rep)}\nexit {run.rc}")
            time.sleep(0.2)
        return last  # pragma: no cover


def write_mixed_keys(pipe, keys: int, stem: str, ttl: Callable[[int], Optional[int]]) -> None:
    """Queues `keys` keys of every type (string, hash, list, set, zset; every 7th with a hash
    tag shared by 500 keys) on a non-transactional pipeline, executing every 1,000;
    ttl(i) gives key i's EXPIRE in seconds or None."""
    for i in range(keys):
        kind = i % 5
        key = f"{{user{i % 500}}}:{stem}{i}" if i % 7 == 0 else f"{stem}{i}"
        if kind == 0:
            pipe.set(key, f"token-{i}")
        elif kind == 1:
            pipe.hset(key, mapping={"uid": i, "agent": "x" * (i % 40)})
        elif kind == 2:
            pipe.rpush(key, *range(i % 10 + 1))
        elif kind == 3:
            pipe.sadd(key, *[f"m{j}" for j in range(i % 8 + 1)])
        else:
            pipe.zadd(key, {f"z{j}": j for j in range(i % 6 + 1)})
        seconds = ttl(i)
        if seconds is not None:
            pipe.expire(key, seconds)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()


def read_value(pipe, key: bytes, kind: bytes) -> None:
    """Queues the read of a whole value of `kind` (TYPE's reply) on a pipeline."""
    if kind == b"string":
        pipe.get(key)
    elif kind == b"hash":
        pipe.hgetall(key)
    elif kind == b"list":
        pipe.lrange(key, 0, -1)
    elif kind == b"set":
        pipe.smembers(key)
    elif kind == b"stream":
        pipe.xrange(key)
    else:
        pipe.zrange(key, 0, -1, withscores=True)


def logical_snapshot(clients: list) -> dict:
    """key -> (logical value, PTTL) over the given nodes (clients with decode=False); DUMP
    bytes can differ for equal values, so values are read by type. A key on two nodes is an
    error (it must live on exactly one master)."""
    out = {}
    for r in clients:
        mine = set()  # SCAN may return a key twice on one node (rehashing): not an error
        cursor = 0
        while True:
            cursor, keys = r.scan(cursor=cursor, count=1000)
            if keys:
                pipe = r.pipeline(transaction=False)
                for k in keys:
                    pipe.type(k)
                kinds = pipe.execute()
                pipe = r.pipeline(transaction=False)
                for k, kind in zip(keys, kinds):
                    read_value(pipe, k, kind)
                    pipe.pttl(k)
                values = pipe.execute()
                for j, k in enumerate(keys):
                    if k in out and k not in mine:
                        raise AssertionError(f"key {k!r} present on two nodes")
                    mine.add(k)
                    out[k] = (values[2 * j], values[2 * j + 1])
            if cursor == 0:
                break
    return out
