#!/usr/bin/python3
"""Benchmark: `redis-warden check` vs `redis-cli --cluster check` on the same real cluster.

    tests/bench/bench_check.py [--masters 45] [--replicas 1] [--runs 15] [--warden build/redis-warden]

Prints the median wall time of each tool, the ratio (target: warden <= 0.25 x redis-cli),
then the same with one master frozen by SIGSTOP (redis-cli 7.0 has no timeout: it is killed
after --hang-limit seconds and reported as such). Not run by CI.
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from cluster import Cluster  # noqa: E402


def timed(cmd, limit):
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=limit)
        return time.monotonic() - start, proc.returncode
    except subprocess.TimeoutExpired:
        return time.monotonic() - start, "killed"


def median_ms(cmd, runs, limit):
    times, codes = [], set()
    for _ in range(runs):
        seconds, code = timed(cmd, limit)
        times.append(seconds * 1000)
        codes.add(code)
    return statistics.median(times), codes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--masters", type=int, default=45)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hang-limit", type=float, default=10.0)
    parser.add_argument("--timeout-ms", type=int, default=500)
    parser.add_argument("--warden", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "redis-warden"))
    args = parser.parse_args()
    total = args.masters * (1 + args.replicas)
    with Cluster(masters=args.masters, replicas=args.replicas, hosts=3, timeout=180) as cluster:
        seed = cluster.masters()[0].address
        warden = [args.warden, "check", "--seed", seed, "--timeout", str(args.timeout_ms)]
        redis_cli = ["redis-cli", "--cluster", "check", seed]
        w, wc = median_ms(warden, args.runs, 30)
        r, rc = median_ms(redis_cli, args.runs, 60)
        print(f"{total} nodes ({args.masters} masters x {args.replicas} replica), median of {args.runs} runs:")
        print(f"  redis-warden check:        {w:8.1f} ms (exit {sorted(map(str, wc))})")
        print(f"  redis-cli --cluster check: {r:8.1f} ms (exit {sorted(map(str, rc))})")
        print(f"  ratio warden/redis-cli:    {w / r:8.3f} (target <= 0.25)")
        frozen = cluster.masters()[-1]
        cluster.kill(frozen, signal.SIGSTOP)
        try:
            w, wc = median_ms(warden, 3, 30)
            r, rc = median_ms(redis_cli, 1, args.hang_limit)
        finally:
            cluster.kill(frozen, signal.SIGCONT)
        print(f"one master frozen (SIGSTOP {frozen.address}), --timeout {args.timeout_ms} ms:")
        print(f"  redis-warden check:        {w:8.1f} ms (exit {sorted(map(str, wc))})")
        killed = "killed after hang limit" if "killed" in rc else f"exit {sorted(map(str, rc))}"
        print(f"  redis-cli --cluster check: {r:8.1f} ms ({killed})")


if __name__ == "__main__":
    main()
