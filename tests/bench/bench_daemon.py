#!/usr/bin/python3
"""Benchmark: `redis-warden run` as a Prometheus target on a real 90-node cluster, beside
Debian's prometheus-redis-exporter (one node per exporter instance, as it is deployed).

    tests/bench/bench_daemon.py [--masters 45] [--scrapes 200] [--cpu-seconds 30]

Prints scrape latency p50/p99, RSS, CPU seconds per minute of polling, series count and
`promtool check metrics` problems for each. Not run by CI.
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from cluster import Cluster, wait_until  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def free_port(start=22500):
    for port in range(start, start + 400):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def scrape(url, timeout=30):
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read().decode()
    return (time.monotonic() - t0) * 1000, body


def proc_stats(pid):
    with open(f"/proc/{pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return rss_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


def promtool_problems(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    return 0 if p.returncode == 0 and not out else len([l for l in out.splitlines() if l.strip()])


def series(text):
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def measure(name, url, pid, scrapes, cpu_seconds):
    latencies = [scrape(url)[0] for _ in range(scrapes)]
    _, body = scrape(url)
    rss, cpu0 = proc_stats(pid)
    time.sleep(cpu_seconds)
    rss, cpu1 = proc_stats(pid)
    q = statistics.quantiles(latencies, n=100)
    print(f"{name}: scrape p50 {statistics.median(latencies):.2f} ms, p99 {q[98]:.2f} ms over "
          f"{scrapes}; RSS {rss:.1f} MiB; CPU {(cpu1 - cpu0) * 60 / cpu_seconds:.2f} s/min; "
          f"{series(body)} series; promtool problems: {promtool_problems(body)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--masters", type=int, default=45)
    ap.add_argument("--scrapes", type=int, default=200)
    ap.add_argument("--cpu-seconds", type=float, default=30)
    ap.add_argument("--warden", default=os.path.join(ROOT, "build", "redis-warden"))
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="warden-bench-")
    procs = []
    try:
        with Cluster(masters=args.masters, replicas=1, hosts=3, timeout=180) as cluster:
            port = free_port()
            with open(os.path.join(tmp, "w.yaml"), "w") as f:
                f.write(f"listen: 127.0.0.1:{port}\nclusters:\n  - name: bench\n"
                        f"    seeds: [{cluster.seeds()[0]}]\n    poll_interval: 1s\n    timeout: 500ms\n")
            warden = subprocess.Popen([args.warden, "run", "--config", os.path.join(tmp, "w.yaml")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(warden)
            url = f"http://127.0.0.1:{port}/metrics"
            wait_until(lambda: "redis_warden_cluster_ok{" in scrape(url)[1], 30, "first poll")
            n = len(cluster.nodes)
            measure(f"redis-warden ({n} nodes, one process)", url, warden.pid, args.scrapes, args.cpu_seconds)
            exporter = shutil.which("prometheus-redis-exporter")
            if exporter:
                eport = free_port(port + 1)
                node = cluster.masters()[-1]
                ex = subprocess.Popen([exporter, f"--redis.addr=redis://{node.address}",
                                       f"--web.listen-address=127.0.0.1:{eport}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                procs.append(ex)
                eurl = f"http://127.0.0.1:{eport}/metrics"
                wait_until(lambda: "redis_up" in scrape(eurl)[1], 30, "exporter up")
                measure(f"prometheus-redis-exporter (1 node per instance, {node.address})", eurl,
                        ex.pid, args.scrapes, args.cpu_seconds)
                cluster.kill(node, signal.SIGSTOP)
                try:
                    slow, _ = scrape(eurl, timeout=60)
                    fast, _ = scrape(url)
                finally:
                    cluster.kill(node, signal.SIGCONT)
                print(f"one node frozen: exporter scrape {slow:.0f} ms, redis-warden scrape {fast:.2f} ms")
            else:
                print("prometheus-redis-exporter not installed (apt-get install prometheus-redis-exporter)")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
