#!/usr/bin/python3
"""Benchmark: keys copied per second from a standalone Redis holding N small keys with TTLs
into an empty 3-master cluster: `redis-warden import` vs `redis-cli --cluster import
--cluster-copy` (one MIGRATE per key), on the same source and cluster (flushed between runs).

    tests/bench/bench_import.py [--keys 1000000] [--runs 1]

Prints wall time, keys in the cluster afterwards, keys/s and the ratio. Not run by CI.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from cluster import Cluster, Standalone  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
WARDEN = os.path.join(ROOT, "build", "redis-warden")


def resp(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def load(source: Standalone, keys: int) -> None:
    """Mass insertion with redis-cli --pipe: small strings, each with a 1-3 h TTL."""
    payload = b"".join(resp("SET", f"token:{i}", f"value-{i}", "EX", str(3600 + i % 7200))
                       for i in range(keys))
    subprocess.run(["redis-cli", "-h", source.node.host, "-p", str(source.port), "--pipe"],
                   input=payload, capture_output=True, check=True)


def cluster_keys(c: Cluster) -> int:
    return sum(c.redis(m).dbsize() for m in c.masters())


def flush(c: Cluster) -> None:
    for m in c.masters():
        c.redis(m).flushall()


def timed(argv: list) -> float:
    started = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=3600)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with Cluster(masters=3, replicas=0, timeout=120) as c, Standalone() as source:
        load(source, args.keys)
        seed = c.masters()[0].address
        tools = {
            "redis-warden import": [WARDEN, "import", "--from", source.address, "--seed", seed,
                                    "--yes"],
            "redis-cli --cluster import --cluster-copy": [
                "redis-cli", "--cluster", "import", seed, "--cluster-from", source.address,
                "--cluster-copy"],
        }
        rates = {}
        for name, argv in tools.items():
            seconds = []
            for _ in range(args.runs):
                flush(c)
                elapsed = timed(argv)
                copied = cluster_keys(c)
                if copied != args.keys:
                    print(f"{name}: {copied} keys in the cluster, expected {args.keys}")
                    return 1
                seconds.append(elapsed)
            median = statistics.median(seconds)
            rates[name] = args.keys / median
            print(f"{name}: {median:.2f} s median of {args.runs}, {rates[name]:,.0f} keys/s")
        warden, cli = rates.values()
        print(f"ratio (warden keys/s / redis-cli keys/s): {warden / cli:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
