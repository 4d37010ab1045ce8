#!/usr/bin/python3
"""Benchmark: keys moved per second by `redis-warden rebalance --use-empty-masters` with
`--move-method migrate` vs `--move-method client` (the client-side protocol for Redis
3.2-4.0.6 with a password), each on a fresh password-protected 3-master cluster of Debian's
redis-server 7.0 (default settings, plus requirepass/masterauth) holding the same N small
keys, one empty master joining.

    tests/bench/bench_move_methods.py [--keys 200000] [--runs 1]

Prints, per run, the wall time of the whole command (settling, planning, moving) and the
moving phase alone as rebalance reports it ("moved ... in X s"), keys/s of each, and the
client/MIGRATE ratios of the medians. Not run by CI.
"""
import argparse
import re
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


def run_one(method: str, keys: int) -> tuple[float, float, int]:
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
        moving = re.search(r"moved \d+ slot\(s\) and \d+ key\(s\) in ([\d.]+) s", done.stdout)
        return elapsed, float(moving.group(1)), c.redis(spare).dbsize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    wall, phase = {}, {}
    for method in ("migrate", "client"):
        walls, phases = [], []
        for _ in range(args.runs):
            elapsed, moving, moved = run_one(method, args.keys)
            walls.append(moved / elapsed)
            phases.append(moved / moving)
            print(f"{method:8} moved {moved} keys: command {elapsed:.2f} s "
                  f"({moved / elapsed:,.0f} keys/s), moving phase {moving:.2f} s "
                  f"({moved / moving:,.0f} keys/s)", flush=True)
        wall[method], phase[method] = statistics.median(walls), statistics.median(phases)
    print(f"client-side / MIGRATE, whole command: {wall['client'] / wall['migrate']:.2f}x; "
          f"moving phase: {phase['client'] / phase['migrate']:.2f}x "
          f"(medians of {args.runs} run(s), {args.keys} keys)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
