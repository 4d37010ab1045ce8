#!/usr/bin/python3
"""Benchmark: `redis-warden audit` wall time on a real 90-node cluster (45 masters x 1
replica over 3 loopback hosts, default --timeout 1000). Target: < 1 s.

    tests/bench/bench_audit.py [--masters 45] [--runs 11]

Prints the median and max wall time and the node count audited. Not run by CI.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from cluster import Cluster  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masters", type=int, default=45)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--warden", default=os.path.join(ROOT, "build", "redis-warden"))
    args = parser.parse_args()
    with Cluster(masters=args.masters, replicas=1, hosts=3, timeout=180) as cluster:
        command = [args.warden, "audit", "--seed", cluster.masters()[0].address, "--json"]
        times = []
        nodes = 0
        for _ in range(args.runs):
            started = time.monotonic()
            run = subprocess.run(command, capture_output=True, text=True, timeout=60)
            times.append((time.monotonic() - started) * 1000)
            nodes = len(json.loads(run.stdout)["nodes"])
        print(f"audit of {nodes} nodes, {args.runs} runs: median {statistics.median(times):.1f} ms, "
              f"max {max(times):.1f} ms (target < 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
