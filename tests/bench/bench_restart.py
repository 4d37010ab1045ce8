#!/usr/bin/python3
"""Benchmark: a rolling restart of a 5 masters x 1 replica cluster (three hosts) under a
writer, `redis-warden restart` against the same steps done the way Redis' cluster tutorial
says, scripted with redis-cli and fixed waits: restart each replica and wait; then for each
master `redis-cli CLUSTER FAILOVER` on its replica, wait, restart the old master, wait.

    tests/bench/bench_restart.py [--replica-wait 10] [--failover-wait 5] [--replication defaults|harness]

Both restart a node the same way (SIGTERM, then redis-server with its config, as
test_restart.py does). The writer SETs keys through a cluster client (python3-redis) as fast
as it can; a write pause is the longest gap between two acknowledged writes. Prints the
total time, the longest write pause and the number of failed writes for each, and the
ratios. The servers run with Redis' defaults for replication (repl-diskless-sync yes,
repl-diskless-sync-delay 5) unless --replication harness; the settings are read back and
printed. The fixed waits must cover a full resync under those settings (5 s delay + the
transfer): 10 s per replica, 5 s per failover by default. Not run by CI.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from common import WARDEN_BIN, Cluster  # noqa: E402
from test_heal import NO_NATIVE_MIGRATION  # noqa: E402
from test_restart import Restarter  # noqa: E402
from redis.cluster import RedisCluster  # noqa: E402
import signal  # noqa: E402

REPLICATION = {"defaults": ["repl-diskless-sync yes", "repl-diskless-sync-delay 5"],
               "harness": []}


class PauseWriter:
    """SETs through a cluster client; records when each write was acknowledged."""

    def __init__(self, c: Cluster):
        seed = c.members()[0]
        self.client = RedisCluster(host=seed.host, port=seed.port, socket_timeout=1,
                                   socket_connect_timeout=1)
        self.acked: list[float] = []
        self.failed = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        n = 0
        while self.running:
            n += 1
            try:
                self.client.set(f"bench:{n}", n)
                self.acked.append(time.monotonic())
            except Exception:  # noqa: BLE001 - failures during failovers are measured
                self.failed += 1
                time.sleep(0.01)
                try:
                    self.client.nodes_manager.initialize()
                except Exception:  # noqa: BLE001
                    pass

    def stop(self) -> tuple[float, int, int]:
        self.running = False
        self.thread.join(10)
        gaps = [b - a for a, b in zip(self.acked, self.acked[1:])]
        return (max(gaps) if gaps else float("nan")), len(self.acked), self.failed


def restart_directly(c: Cluster, node) -> None:
    c.kill(node, signal.SIGTERM)
    c.restart(node)


def tutorial(c: Cluster, replica_wait: float, failover_wait: float) -> None:
    """The cluster tutorial's upgrade procedure with redis-cli and fixed waits."""
    for replica in list(c.replicas()):
        restart_directly(c, replica)
        time.sleep(replica_wait)
    c.refresh()
    for master in list(c.masters()):
        replica = c.replicas_of(master)[0]
        subprocess.run(["redis-cli", "-h", replica.host, "-p", str(replica.port),
                        "CLUSTER", "FAILOVER"], check=True, capture_output=True, timeout=10)
        time.sleep(failover_wait)
        restart_directly(c, master)
        time.sleep(replica_wait)


def one_run(kind: str, args) -> dict:
    tmp = tempfile.mkdtemp(prefix=f"warden-bench-restart-{kind}-")
    c = Cluster(masters=5, replicas=1, hosts=3, node_timeout=2000,
                extra_config=NO_NATIVE_MIGRATION + REPLICATION[args.replication]).start()
    try:
        settings = c.redis(c.masters()[0]).config_get("repl-diskless-sync*")
        writer = PauseWriter(c)
        time.sleep(1)
        started = time.monotonic()
        if kind == "warden":
            restarter = Restarter(c, tmp)
            run = subprocess.run([WARDEN_BIN, "restart", "--seed", c.seeds()[0], "--exec",
                                  restarter.command(), "--yes"], capture_output=True, text=True,
                                 timeout=900)
            restarter.stop()
            if run.returncode != 0:
                raise SystemExit(f"warden restart failed: {run.stderr}")
        else:
            tutorial(c, args.replica_wait, args.failover_wait)
        total = time.monotonic() - started
        time.sleep(1)
        pause, acked, failed = writer.stop()
        return {"total": total, "pause": pause, "acked": acked, "failed": failed,
                "settings": settings}
    finally:
        c.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replica-wait", type=float, default=10.0)
    parser.add_argument("--failover-wait", type=float, default=5.0)
    parser.add_argument("--replication", choices=sorted(REPLICATION), default="defaults")
    args = parser.parse_args()
    warden = one_run("warden", args)
    script = one_run("tutorial", args)
    print(f"rolling restart, 5 masters x 1 replica over 3 hosts, replication settings: "
          f"{warden['settings']}, cluster-node-timeout 2000")
    for name, r in (("redis-warden restart", warden),
                    (f"tutorial + redis-cli (waits {args.replica_wait:g} s / "
                     f"{args.failover_wait:g} s)", script)):
        print(f"  {name:45s} total {r['total']:6.1f} s  longest write pause "
              f"{r['pause']:5.2f} s  writes ok {r['acked']}  failed {r['failed']}")
    print(f"  ratio warden/tutorial: total {warden['total'] / script['total']:.2f}, "
          f"longest pause {warden['pause'] / script['pause']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
