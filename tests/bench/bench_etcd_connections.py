#!/usr/bin/python3
"""Benchmark: TCP connections a coordinated `redis-warden run` opens to etcd.

A real etcd (Debian etcd-server) and a 3x1 cluster on loopback; one instance in heal mode
with coordination (poll 300 ms, ttl 3 s: a round with etcd every 150 ms). After --seconds
(at least 60) it counts, from /proc/net/tcp, the connections to etcd's client port closed in
the last 60 s (sockets in TIME_WAIT, which Linux keeps exactly 60 s, on either side) and
those open now. Each binary gets a fresh etcd; --compare runs a second binary (say main's
build) the same way.

    tests/bench/bench_etcd_connections.py [--seconds 70] [--bin B] [--compare B2]

Not run by CI.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import test_daemon  # noqa: E402
from common import Cluster, wait_until  # noqa: E402
from test_coordination import Etcd, Instance  # noqa: E402

TIME_WAIT, ESTABLISHED = "06", "01"


def sockets_on(port: int) -> list[tuple[str, str]]:
    """(state, local:remote) of every IPv4 TCP socket with `port` on either side."""
    found = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if int(local.split(":")[1], 16) == port or int(remote.split(":")[1], 16) == port:
                found.append((state, f"{local}-{remote}"))
    return found


def measure(binary: str, cluster: Cluster, tmp: str, seconds: float) -> tuple[int, int]:
    test_daemon.WARDEN_BIN = binary
    directory = tempfile.mkdtemp(dir=tmp)
    etcd = Etcd(directory)
    try:
        config = (f"clusters:\n  - name: main\n    seeds: [{cluster.masters()[0].address}]\n"
                  "    poll_interval: 300ms\n    timeout: 300ms\n    heal: {mode: heal}\n"
                  f"coordination: {{backend: etcd, endpoints: [{etcd.endpoint}], "
                  f"prefix: /bench-{os.getpid()}/, ttl: 3s}}\n")
        instance = Instance(config, os.path.join(directory, "warden"))
        try:
            wait_until(lambda: instance.leader() == 1.0, 20, "the instance leads")
            time.sleep(seconds)
            sockets = sockets_on(etcd.client_port)
            closed = sum(1 for state, _ in sockets if state == TIME_WAIT)
            # Both ends of a loopback connection are listed: count each connection once.
            open_now = sum(1 for state, _ in sockets if state == ESTABLISHED) // 2
            return closed, open_now
        finally:
            instance.stop()
    finally:
        etcd.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=70)
    parser.add_argument("--bin", default=os.path.join(HERE, "..", "..", "build", "redis-warden"))
    parser.add_argument("--compare", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="warden-bench-etcd-")
    cluster = Cluster(masters=3, replicas=1, hosts=3).start()
    try:
        for binary in [args.bin] + ([args.compare] if args.compare else []):
            closed, open_now = measure(os.path.abspath(binary), cluster, tmp, args.seconds)
            print(f"{binary}: connections to etcd closed in the last 60 s: {closed}, "
                  f"open now: {open_now} (etcd's own gateway connection included)")
    finally:
        cluster.stop()
        shutil.rmtree(tmp, True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
