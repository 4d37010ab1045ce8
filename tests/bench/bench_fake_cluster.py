#!/usr/bin/python3
"""Benchmark: `redis-warden run` polling a fake 1,000-node cluster every second (issue 15,
goal 3). One process serves 1,000 loopback ports (500 masters x 1 replica by default);
every node answers CLUSTER NODES with the whole cluster (its own line flagged myself), and
the ping-sent/pong-recv fields change every second, as a real cluster's do. A fake, because
1,000 real servers do not fit on a development machine; it speaks only what a poll sends
(AUTH, CLUSTER NODES, CLUSTER INFO, INFO) and errors to anything else.

    tests/bench/bench_fake_cluster.py [--masters 500] [--seconds 30] [--base-port 17000]

Prints the daemon's CPU (% of one core over the measured window), RSS (current and peak),
scrape latency p50/p99 over the window, new connections the fake accepted after warm-up, and
how many polls completed. Targets: CPU <= 10 %, RSS <= 64 MB, scrape p99 < 5 ms,
connections: none in steady state. Not run by CI.
"""
import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from common import WARDEN_BIN, wait_until  # noqa: E402
from test_daemon import Daemon, metric  # noqa: E402

SLOTS = 16384


def bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


class FakeCluster:
    def __init__(self, masters: int, base_port: int):
        self.masters = masters
        self.ports = [base_port + i for i in range(2 * masters)]
        self.ids = [b"%040x" % (i + 1) for i in range(2 * masters)]
        self.accepted = 0
        self.views: list[bytes] = []
        self.servers: list = []
        self.failure: Exception | None = None
        self.ticker = None
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def regenerate(self) -> None:
        """Every node's view, with this second's ping/pong times."""
        now_ms = int(time.time() * 1000)
        per_master = SLOTS // self.masters
        lines = []
        for i, port in enumerate(self.ports):
            master = i < self.masters
            flags = b"master" if master else b"slave"
            of = b"-" if master else self.ids[i - self.masters]
            line = b"%s 127.0.0.1:%d@%d %s %s %d %d %d connected" % (
                self.ids[i], port, port + 10000, flags, of, now_ms - 500, now_ms - 200,
                i + 1 if master else 0)
            if master:
                first = i * per_master
                last = SLOTS - 1 if i == self.masters - 1 else first + per_master - 1
                line += b" %d-%d" % (first, last)
            lines.append(line)
        # One join per second; each node's view is that text with its own line swapped in.
        text = b"\n".join(lines) + b"\n"
        views, offset = [], 0
        for line in lines:
            own = line.replace(b" master ", b" myself,master ", 1).replace(
                b" slave ", b" myself,slave ", 1)
            views.append(bulk(text[:offset] + own + text[offset + len(line):]))
            offset += len(line) + 1
        self.views = views

    def info(self, i: int) -> bytes:
        if i < self.masters:
            text = b"# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"
        else:
            text = (b"# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:%d\r\n"
                    b"master_link_status:up\r\n" % self.ports[i - self.masters])
        return bulk(text)

    async def serve(self, i: int, reader, writer) -> None:
        self.accepted += 1
        cluster_info = bulk(b"cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"
                            b"cluster_known_nodes:%d\r\ncluster_size:%d\r\n" %
                            (len(self.ports), self.masters))
        try:
            while True:
                header = await reader.readline()
                if not header:
                    return
                if not header.startswith(b"*"):
                    writer.write(b"-ERR Protocol error\r\n")
                    return
                args = []
                for _ in range(int(header[1:])):
                    size = int((await reader.readline())[1:])
                    args.append((await reader.readexactly(size + 2))[:-2].upper())
                if args[0] == b"AUTH":
                    writer.write(b"+OK\r\n")
                elif args[:2] == [b"CLUSTER", b"NODES"]:
                    writer.write(self.views[i])
                elif args[:2] == [b"CLUSTER", b"INFO"]:
                    writer.write(cluster_info)
                elif args[0] == b"INFO":
                    writer.write(self.info(i))
                else:
                    writer.write(b"-ERR unknown command\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start():
            try:
                for i, port in enumerate(self.ports):
                    self.servers.append(await asyncio.start_server(
                        lambda r, w, i=i: self.serve(i, r, w), "127.0.0.1", port, backlog=64))
            except OSError as failure:
                self.failure = failure
                self.ready.set()
                return

            async def tick():
                while True:
                    self.regenerate()
                    await asyncio.sleep(1)
            self.ticker = self.loop.create_task(tick())
            self.ready.set()
        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def start(self) -> "FakeCluster":
        self.regenerate()
        self.thread.start()
        if not self.ready.wait(60):
            raise RuntimeError("fake cluster did not start")
        if self.failure is not None:
            self.stop()
            raise RuntimeError(f"fake cluster could not listen: {self.failure}")
        return self

    def stop(self) -> None:
        """Closes every port and ends the serving thread (bounded)."""
        def close():
            for server in self.servers:
                server.close()
            if self.ticker is not None:
                self.ticker.cancel()
            self.loop.call_soon(self.loop.stop)  # after the cancelled ticker has ended
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(close)
            self.thread.join(10)


# The scrapes run in a process of their own: in this one they would wait for the GIL while
# the fake serves 133 MB a second, and time the benchmark rather than the daemon. Each is one
# plain HTTP/1.1 GET on a new connection, read to the end, as a Prometheus scrape is (urllib
# alone added about a millisecond of Python to each).
SCRAPER = """
import socket, sys, time
host, port, path, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
request = f"GET {path} HTTP/1.1\\r\\nHost: {host}:{port}\\r\\nConnection: close\\r\\n\\r\\n".encode()
start = time.monotonic()
while time.monotonic() - start < seconds:
    s = time.monotonic()
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(1 << 20):
            chunks.append(chunk)
    received = b"".join(chunks)
    if not received.startswith(b"HTTP/1.1 200"):
        sys.exit(f"scrape failed: {received[:100]!r}")
    print((time.monotonic() - s) * 1000, flush=True)
    time.sleep(0.1)
"""


def scrape_latencies(port: int, seconds: int) -> list[float]:
    """Milliseconds each /metrics scrape took, one every 0.1 s for `seconds`."""
    done = subprocess.run([sys.executable, "-c", SCRAPER, "127.0.0.1", str(port), "/metrics",
                           str(seconds)],
                          capture_output=True, text=True, timeout=seconds + 60, check=True)
    return [float(line) for line in done.stdout.split()]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masters", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--base-port", type=int, default=17000)
    args = parser.parse_args()
    fake = FakeCluster(args.masters, args.base_port).start()
    nodes = len(fake.ports)
    with tempfile.TemporaryDirectory(prefix="bench-fake-") as tmp:
        daemon = Daemon(f"clusters:\n  - name: fake\n    seeds: [127.0.0.1:{fake.ports[0]}]\n"
                        "    poll_interval: 1s\n    timeout: 2s\n    security_interval: 1h\n",
                        tmp)
        try:
            wait_until(lambda: metric(daemon.metrics(), "redis_warden_voting_masters",
                                      cluster="fake") == [float(args.masters)], 120,
                       "the fake cluster polled")
            time.sleep(5)  # warm-up: the first audit and the first polls
            pid = daemon.proc.pid
            accepted, cpu0, t0 = fake.accepted, cpu_seconds(pid), time.monotonic()
            before = daemon.metrics()
            sum0 = metric(before, "redis_warden_poll_duration_seconds_sum", cluster="fake")[0]
            count0 = metric(before, "redis_warden_poll_duration_seconds_count", cluster="fake")[0]
            latencies = scrape_latencies(daemon.port, args.seconds)
            elapsed = time.monotonic() - t0
            cpu = (cpu_seconds(pid) - cpu0) / elapsed * 100
            rss, peak = memory_mb(pid)
            text = daemon.metrics()
            polls = metric(text, "redis_warden_poll_duration_seconds_count", cluster="fake")[0] - count0
            spent = metric(text, "redis_warden_poll_duration_seconds_sum", cluster="fake")[0] - sum0
            latencies.sort()
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            print(f"fake cluster: {nodes} nodes ({args.masters} masters x 1 replica), "
                  f"{len(fake.views[0]) // 1024} KiB per CLUSTER NODES reply, poll every 1 s")
            print(f"  measured over {elapsed:.1f} s after 5 s of warm-up")
            print(f"  daemon CPU          {cpu:.1f} % of one core (target <= 10 %)")
            print(f"  daemon RSS          {rss:.1f} MB now, {peak:.1f} MB peak (target <= 64 MB)")
            print(f"  scrape latency      p50 {statistics.median(latencies):.2f} ms, "
                  f"p99 {p99:.2f} ms over {len(latencies)} scrapes (target p99 < 5 ms)")
            print(f"  new connections     {fake.accepted - accepted} over the window "
                  f"({nodes} nodes; target: none in steady state)")
            print(f"  polls               {polls:.0f} completed, "
                  f"{spent / polls if polls else float('nan'):.3f} s each on average "
                  f"(poll + analysis, as poll_duration_seconds measures it)")
        finally:
            daemon.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
