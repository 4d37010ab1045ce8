#!/usr/bin/python3
"""Benchmark: leader failover between redis-warden instances coordinated through etcd.

Per run: a fresh 3x1 cluster with a spare replica of A, a real etcd (Debian etcd-server) on
loopback, two instances in heal mode. The leader is SIGKILLed and, in the same instant, B's
only replica is SIGKILLed (an orphan only the new leader may fix). Measured from the kill to

  - takeover: the survivor's redis_warden_leader becomes 1 (scraped every 50 ms), and
  - first action: the survivor's log line "CLUSTER REPLICATE ... sent to" (its timestamp).

    tests/bench/bench_failover.py [--runs 5] [--ttl-s 3] [--poll-ms 300]

Prints each run and the medians. Not run by CI.
"""
import argparse
import datetime
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from common import Cluster, wait_until  # noqa: E402
from test_coordination import Etcd, Instance  # noqa: E402
from test_heal import NO_NATIVE_MIGRATION, meet  # noqa: E402

SENT = re.compile(r"^(\S+) info cluster=main CLUSTER REPLICATE \S+ sent to", re.M)


def one_run(etcd: Etcd, tmp: str, run: int, ttl_s: int, poll_ms: int) -> tuple[float, float]:
    c = Cluster(masters=3, replicas=1, hosts=3, node_timeout=2000, spares=1,
                extra_config=NO_NATIVE_MIGRATION).start()
    instances = []
    try:
        a, b = c.masters()[0], c.masters()[1]
        meet(c, c.spares()[0], replica_of=a)
        config = (f"clusters:\n  - name: main\n    seeds: [{a.address}]\n"
                  f"    poll_interval: {poll_ms}ms\n    timeout: 300ms\n"
                  "    heal: {mode: heal, grace: 1s}\n"
                  f"coordination: {{backend: etcd, endpoints: [{etcd.endpoint}], "
                  f"prefix: /bench-{os.getpid()}-{run}/, ttl: {ttl_s}s}}\n")
        for i in range(2):
            instances.append(Instance(config, os.path.join(tmp, f"run{run}-warden{i}")))
        wait_until(lambda: sorted(w.leader() for w in instances) == [0.0, 1.0], 20,
                   "one leader")
        leader = next(w for w in instances if w.leader() == 1.0)
        survivor = next(w for w in instances if w is not leader)
        time.sleep(ttl_s / 3 + 0.2)  # a keep-alive in between: a typical, not a fresh, lease
        leader.proc.kill()
        killed = time.time()
        c.kill(c.replicas_of(b)[0])
        wait_until(lambda: survivor.leader() == 1.0, ttl_s + 15, "takeover", interval=0.05)
        takeover = time.time() - killed
        found = wait_until(lambda: SENT.search(survivor.log_text()), 30, "first action")
        acted = datetime.datetime.fromisoformat(found.group(1)).timestamp()
        return takeover, acted - killed
    finally:
        for w in instances:
            w.stop()
        c.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ttl-s", type=int, default=3)
    parser.add_argument("--poll-ms", type=int, default=300)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="warden-bench-failover-")
    etcd = Etcd(tmp)
    takeovers, actions = [], []
    try:
        for run in range(args.runs):
            takeover, action = one_run(etcd, tmp, run, args.ttl_s, args.poll_ms)
            takeovers.append(takeover)
            actions.append(action)
            print(f"run {run + 1}: takeover {takeover:.2f} s, first action {action:.2f} s "
                  "after SIGKILL", flush=True)
    finally:
        etcd.kill()
        shutil.rmtree(tmp, True)
    print(f"ttl {args.ttl_s} s, poll {args.poll_ms} ms, grace 1 s, {args.runs} runs")
    print(f"median takeover (leader gauge): {statistics.median(takeovers):.2f} s")
    print(f"median failover, kill -> first action by the new leader: "
          f"{statistics.median(actions):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
