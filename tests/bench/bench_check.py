#!/usr/bin/python3
"""Benchmark: `redis-warden check` vs `redis-cli --cluster check` on the same real cluster.

    tests/bench/bench_check.py [--masters 45] [--replicas 1] [--runs 15] [--warden build/redis-warden]

Prints the median wall time of each tool (the two take turns), the ratio (target: warden <= 0.25 x redis-cli),
how long the servers alone take to answer what check asks (every node asked at once by a
minimal non-blocking client, addresses known in advance, no process start, no analysis: the
floor for any tool on this machine; and one node after another, as redis-cli does), how long
`redis-warden version` takes (process start and exit: what warden adds to that floor before
it asks the seed anything), then the
same with one master frozen by SIGSTOP (redis-cli 7.0 has no timeout: it is killed after
--hang-limit seconds and reported as such). Also prints the load average. Not run by CI.
"""
import argparse
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from cluster import Cluster  # noqa: E402


def timed(cmd, limit):
    """(seconds, exit code or "killed") of one run, killed after `limit` seconds.

    Waits with a blocking waitpid, not subprocess.run(timeout=...): with a timeout, Python
    polls waitpid(WNOHANG) with sleeps doubling from 1 ms to 50 ms, so a run was only seen to
    end at about 15, 31, 63, 113, 163 ms...: the times came out in those steps (a 33 ms
    median was a run that ended somewhere between 16 and 32 ms)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed = threading.Event()

    def kill():
        killed.set()
        proc.kill()

    timer = threading.Timer(limit, kill)
    timer.start()
    try:
        code = proc.wait()
    finally:
        timer.cancel()
    return time.monotonic() - start, "killed" if killed.is_set() else code


def interleaved_medians(commands, runs):
    """{name: (median ms, exit codes)} for {name: (cmd, limit)}, the commands taking turns
    (in alternating order) so that a load coming and going on the machine weighs on each
    alike."""
    times = {name: [] for name in commands}
    codes = {name: set() for name in commands}
    for run in range(runs):
        order = list(commands.items())
        for name, (cmd, limit) in order if run % 2 == 0 else reversed(order):
            seconds, code = timed(cmd, limit)
            times[name].append(seconds * 1000)
            codes[name].add(code)
    return {name: (statistics.median(times[name]), codes[name]) for name in commands}


def median_ms(cmd, runs, limit):
    times, codes = [], set()
    for _ in range(runs):
        seconds, code = timed(cmd, limit)
        times.append(seconds * 1000)
        codes.add(code)
    return statistics.median(times), codes


# What check sends each node on a cluster without a password.
CHECK_REQUEST = b"*2\r\n$7\r\nCLUSTER\r\n$5\r\nNODES\r\n*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n"


def answered(data, replies=2):
    """True once `data` holds `replies` complete bulk strings."""
    at = 0
    for _ in range(replies):
        end = data.find(b"\r\n", at)
        if not data[at:at + 1] == b"$" or end < 0:
            return False
        at = end + 2 + int(data[at + 1:end]) + 2
        if at > len(data):
            return False
    return True


def split_address(address):
    host, port = address.rsplit(":", 1)
    return host, int(port)


def servers_at_once(addresses):
    """ms for every node to answer CHECK_REQUEST, all connected and asked at once."""
    selector = selectors.DefaultSelector()
    start = time.monotonic()
    pending = {}
    for address in addresses:
        conn = socket.socket()
        conn.setblocking(False)
        conn.connect_ex(split_address(address))
        selector.register(conn, selectors.EVENT_WRITE)
        pending[conn] = b""
    while pending:
        for key, events in selector.select(timeout=10):
            conn = key.fileobj
            if events & selectors.EVENT_WRITE:
                conn.send(CHECK_REQUEST)
                selector.modify(conn, selectors.EVENT_READ)
                continue
            data = conn.recv(1 << 16)
            pending[conn] += data
            if not data or answered(pending[conn]):
                selector.unregister(conn)
                conn.close()
                del pending[conn]
    return (time.monotonic() - start) * 1000


def servers_one_by_one(addresses):
    """ms for every node to answer CHECK_REQUEST, one connection after another."""
    start = time.monotonic()
    for address in addresses:
        with socket.create_connection(split_address(address), timeout=10) as conn:
            conn.sendall(CHECK_REQUEST)
            data = b""
            while not answered(data):
                data += conn.recv(1 << 16)
    return (time.monotonic() - start) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--masters", type=int, default=45)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hang-limit", type=float, default=10.0)
    parser.add_argument("--timeout-ms", type=int, default=500)
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds to wait after the cluster formed (its gossip is busiest then)")
    parser.add_argument("--warden", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "redis-warden"))
    args = parser.parse_args()
    total = args.masters * (1 + args.replicas)
    with Cluster(masters=args.masters, replicas=args.replicas, hosts=3, timeout=180) as cluster:
        seed = cluster.masters()[0].address
        warden = [args.warden, "check", "--seed", seed, "--timeout", str(args.timeout_ms)]
        redis_cli = ["redis-cli", "--cluster", "check", seed]
        time.sleep(args.settle)
        medians = interleaved_medians({"warden": (warden, 30), "redis-cli": (redis_cli, 60)},
                                      args.runs)
        (w, wc), (r, rc) = medians["warden"], medians["redis-cli"]
        print(f"{total} nodes ({args.masters} masters x {args.replicas} replica), median of {args.runs} "
              f"runs, taking turns, {args.settle:g} s after the cluster formed:")
        print(f"  redis-warden check:        {w:8.1f} ms (exit {sorted(map(str, wc))})")
        print(f"  redis-cli --cluster check: {r:8.1f} ms (exit {sorted(map(str, rc))})")
        print(f"  ratio warden/redis-cli:    {w / r:8.3f} (target <= 0.25)")
        addresses = [node.address for node in cluster.members()]
        at_once = statistics.median(servers_at_once(addresses) for _ in range(args.runs))
        one_by_one = statistics.median(servers_one_by_one(addresses) for _ in range(args.runs))
        print("the servers alone answering CLUSTER NODES + INFO replication, no client work:")
        print(f"  every node at once:        {at_once:8.1f} ms (floor for any tool here)")
        print(f"  one node after another:    {one_by_one:8.1f} ms")
        start, _ = median_ms([args.warden, "version"], args.runs, 10)
        print(f"  redis-warden version:      {start:8.1f} ms (warden's process start and exit alone)")
        print(f"  load average (1 min):      {os.getloadavg()[0]:8.1f} (2 cores)")
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
