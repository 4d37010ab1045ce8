#!/usr/bin/python3
"""Benchmark: keys moved per second when one empty master joins a 3-master cluster holding
N small keys: `redis-warden rebalance --use-empty-masters` vs `redis-cli --cluster rebalance
--cluster-use-empty-masters` (its default pipeline of 10) and with `--cluster-pipeline 1000`.
Each tool gets a fresh cluster with the same data.

    tests/bench/bench_rebalance.py [--keys 1000000]

Prints wall time, keys moved, keys/s and the ratios. Not run by CI.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from cluster import Cluster, parse_cluster_nodes, wait_until  # noqa: E402
from redis.crc import key_slot  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
WARDEN = os.path.join(ROOT, "build", "redis-warden")


def resp(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def load(c: Cluster, keys: int) -> None:
    """Mass insertion with redis-cli --pipe, each key sent to the master owning its slot
    (password, if any, from the cluster's REDISCLI_AUTH)."""
    owner = {}
    for m in c.masters():
        mine = next(v for v in parse_cluster_nodes(c.cluster_nodes(m)) if v["myself"])
        for r in mine["slots"]:
            first, _, last = r.partition("-")
            for s in range(int(first), int(last or first) + 1):
                owner[s] = m
    batches = {m.port: [] for m in c.masters()}
    for i in range(keys):
        key = f"key:{i}"
        batches[owner[key_slot(key.encode())].port].append(resp("SET", key, f"value-{i}"))
    for m in c.masters():
        subprocess.run(["redis-cli", "-h", m.host, "-p", str(m.port), "--pipe"],
                       input=b"".join(batches[m.port]), capture_output=True, check=True,
                       env=c.cli_env())


def run_one(tool: str, keys: int) -> tuple[float, int]:
    with Cluster(masters=3, replicas=0, spares=1, timeout=120) as c:
        load(c, keys)
        seed = c.masters()[0]
        spare = c.spares()[0]
        c.redis(seed).execute_command("CLUSTER", "MEET", spare.host, spare.port)
        spare.role = "master"
        # redis-cli would stop with CLUSTERDOWN if it started before every node knew the spare.
        wait_until(lambda: all(c._knows_all(n, 4) for n in c.members()) and all(
            "cluster_state:ok" in c.redis(n).execute_command("CLUSTER", "INFO")
            for n in c.members()), 30, "meet and cluster_state ok everywhere")
        if tool == "warden":
            cmd = [WARDEN, "rebalance", "--seed", seed.address, "--use-empty-masters", "--yes"]
        else:
            cmd = ["redis-cli", "--cluster", "rebalance", seed.address,
                   "--cluster-use-empty-masters"]
            if tool == "redis-cli-1000":
                cmd += ["--cluster-pipeline", "1000"]
        started = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout[-500:]} {done.stderr[-500:]}")
        moved = c.redis(spare).dbsize()
        return elapsed, moved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    args = parser.parse_args()
    results = {}
    for tool in ("warden", "redis-cli", "redis-cli-1000"):
        elapsed, moved = run_one(tool, args.keys)
        results[tool] = moved / elapsed
        print(f"{tool:15} moved {moved} keys in {elapsed:.2f} s: {moved / elapsed:,.0f} keys/s",
              flush=True)
    print(f"warden / redis-cli (pipeline 10):   {results['warden'] / results['redis-cli']:.2f}x "
          "(target >= 3)")
    print(f"warden / redis-cli (pipeline 1000): "
          f"{results['warden'] / results['redis-cli-1000']:.2f}x (target >= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
