#!/usr/bin/python3
"""Benchmark: the daemon's CPU per poll of a real TLS cluster vs the same layout in
plaintext, and the TLS handshakes it makes per minute.

    tests/bench/bench_tls.py [--masters 45] [--seconds 60] [--poll-ms 1000]
                             [--node-timeout 15000]

Two clusters of Debian's redis-server (45 masters x 1 replica = 90 nodes over 127.0.0.1-3
by default), one plaintext and one TLS-only (`port 0`, `tls-cluster yes`,
`tls-replication yes`, `tls-auth-clients yes`, EC P-256 certificates from
tests/harness/tls_files.py; cluster-node-timeout is Redis' default 15 s, not the harness'
2 s: at 2 s every node pings each of the 89 others every second, and 90 TLS nodes on 2
cores then answered late, dropped links and reconnected (new handshakes), and a REPLICATE
timed out; every other server setting is the harness' own; the settings that matter are
read back and printed).
One daemon polls each in turn for --seconds. Prints CPU seconds per poll for both, their
ratio, and the connections the nodes accepted while polling (`total_connections_received`,
summed over the nodes; with TLS each one is a handshake) per minute. Not run by CI.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from cluster import Cluster, wait_until  # noqa: E402
from tls_files import TlsAuthority  # noqa: E402

from bench_daemon import free_port, proc_stats  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def metric_value(text, name):
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def accepted_connections(cluster):
    return sum(int(cluster.info(n, "stats")["total_connections_received"]) for n in cluster.nodes)


SETTINGS = ("port", "tls-port", "tls-cluster", "tls-replication", "tls-auth-clients",
            "tls-protocols", "tls-ciphersuites", "cluster-node-timeout")


def server_settings(cluster):
    """The settings this benchmark depends on, as the first node reports them."""
    node = cluster.nodes[0]
    r = cluster.redis(node)
    version = cluster.info(node, "server")["redis_version"]
    got = {k: r.execute_command("CONFIG", "GET", k)[1] or '""' for k in SETTINGS}
    return f"redis-server {version}, " + ", ".join(f"{k} {v}" for k, v in got.items())


def run_daemon(warden, cluster, tls_section, seconds, poll_ms, tmp):
    port = free_port(22600)
    config = os.path.join(tmp, f"bench-{port}.yaml")
    with open(config, "w") as f:
        f.write(f"listen: 127.0.0.1:{port}\nclusters:\n  - name: bench\n"
                f"    seeds: [{cluster.seeds()[0]}]\n    poll_interval: {poll_ms}ms\n"
                f"    timeout: 1000ms\n    security_interval: 1h\n{tls_section}")
    log = open(os.path.join(tmp, f"daemon-{port}.log"), "w")
    daemon = subprocess.Popen([warden, "run", "--config", config], stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/metrics"

    def polls():
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return None
        return metric_value(text, "redis_warden_poll_duration_seconds_count")

    try:
        wait_until(lambda: (polls() or 0) >= 3, 60, "three polls")
        accepted_connections(cluster)  # the harness' own clients are connected from here on
        connections0 = accepted_connections(cluster)
        cpu0, polls0, t0 = proc_stats(daemon.pid)[1], polls(), time.monotonic()
        time.sleep(seconds)
        cpu1, polls1, t1 = proc_stats(daemon.pid)[1], polls(), time.monotonic()
        connections1 = accepted_connections(cluster)
    finally:
        daemon.terminate()
        daemon.wait(10)
        log.close()
    done = polls1 - polls0
    return {
        "polls": done,
        "cpu_per_poll_ms": (cpu1 - cpu0) * 1000 / done if done else float("nan"),
        "connections_per_minute": (connections1 - connections0) * 60 / (t1 - t0),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--masters", type=int, default=45)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--poll-ms", type=int, default=1000)
    ap.add_argument("--node-timeout", type=int, default=15000, help="cluster-node-timeout, ms")
    ap.add_argument("--warden", default=os.path.join(ROOT, "build", "redis-warden"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="warden-bench-tls-") as tmp:
        ca = TlsAuthority(os.path.join(tmp, "ca"))
        results = {}
        layout = dict(masters=args.masters, replicas=1, hosts=3, timeout=240,
                      node_timeout=args.node_timeout)
        with Cluster(**layout) as plain:
            settings = {"plaintext": server_settings(plain)}
            results["plaintext"] = run_daemon(args.warden, plain, "", args.seconds,
                                              args.poll_ms, tmp)
        with Cluster(**layout, tls=ca) as secure:
            cert, key = secure.tls_client
            settings["tls"] = server_settings(secure)
            section = (f"    tls: {{ca_file: {ca.cert}, cert_file: {cert}, key_file: {key}}}\n")
            results["tls"] = run_daemon(args.warden, secure, section, args.seconds,
                                        args.poll_ms, tmp)
        nodes = args.masters * 2
        print(f"{nodes} nodes ({args.masters} masters x 1 replica), poll every {args.poll_ms} ms, "
              f"{args.seconds:.0f} s each, security poll off (1 h):")
        for name, line in settings.items():
            print(f"  {name:9} servers: {line}")
        for name, r in results.items():
            print(f"  {name:9}: {r['polls']:.0f} polls, CPU {r['cpu_per_poll_ms']:.2f} ms per poll, "
                  f"{r['connections_per_minute']:.1f} connections accepted per minute "
                  f"({'each a TLS handshake' if name == 'tls' else 'plaintext'})")
        ratio = results["tls"]["cpu_per_poll_ms"] / results["plaintext"]["cpu_per_poll_ms"]
        print(f"  CPU per poll, TLS / plaintext: {ratio:.2f}")


if __name__ == "__main__":
    main()
