#!/usr/bin/python3
"""Benchmark: keys moved per second by `redis-warden rebalance --use-empty-masters` with
`--move-method migrate` vs `--move-method client` (the client-side protocol for Redis
3.2-4.0.6 with a password), each on a fresh password-protected 3-master cluster of Debian's
redis-server 7.0 (default settings, plus requirepass/masterauth) holding the same N small
keys, one empty master joining.

    tests/bench/bench_move_methods.py [--keys 200000] [--runs 1]

Prints wall time, keys moved and keys/s of each, and client/MIGRATE. Not run by CI.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)
from bench_rebalance import WARDEN, load  # noqa: E402
from cluster import Cluster, wait_until  # noqa: E402

PASSWORD = "bench-Moves-1"


def run_one(method: str, keys: int) -> tuple[float, int]:
    with Cluster(masters=3, replicas=0, spares=1, password=PASSWORD, timeout=120) as c:
        load(c, keys)
        seed, spare = c.masters()[0], c.spares()[0]
        c.redis(seed).execute_command("CLUSTER", "MEET", spare.host, spare.port)
        spare.role = "master"
        wait_until(lambda: all(c._knows_all(n, 4) for n in c.members()), 30, "meet")
        cmd = [WARDEN, "rebalance", "--seed", seed.address, "--use-empty-masters",
               "--move-method", method, "--yes"]
        started = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800,
                              env=c.cli_env())
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"{method} failed: {done.stdout[-500:]} {done.stderr[-500:]}")
        return elapsed, c.redis(spare).dbsize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    rates = {}
    for method in ("migrate", "client"):
        runs = []
        for _ in range(args.runs):
            elapsed, moved = run_one(method, args.keys)
            runs.append(moved / elapsed)
            print(f"{method:8} moved {moved} keys in {elapsed:.2f} s: {moved / elapsed:,.0f} "
                  "keys/s", flush=True)
        rates[method] = statistics.median(runs)
    print(f"client-side / MIGRATE: {rates['client'] / rates['migrate']:.2f}x "
          f"(medians of {args.runs} run(s), {args.keys} keys)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
