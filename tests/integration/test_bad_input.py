#!/usr/bin/python3
"""`redis-warden check` on things that are not a reachable Redis Cluster: every case ends
quickly with exit 3 and a one-line error, never a crash or a hang.

Run: WARDEN_BIN=build/redis-warden /usr/bin/python3 tests/integration/test_bad_input.py [-v]
"""

from __future__ import annotations

import random
import socket
import threading
import unittest

from common import EXIT_UNKNOWN, Standalone, WardenTestCase, harness, run_warden

QUICK = 3.0  # seconds


class FakeServer:
    """A TCP server on 127.0.0.1 that, per connection, sends `reply` (if any) and then
    closes, or (hold=True) keeps the connection open without answering."""

    def __init__(self, reply: bytes = b"", hold: bool = False):
        self.reply, self.hold = reply, hold
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.hold:
                self.conns.append(conn)
                continue
            try:
                conn.settimeout(0.5)
                try:
                    conn.recv(4096)
                except OSError:
                    pass
                if self.reply:
                    conn.sendall(self.reply)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self.closed = True
        self.sock.close()
        for c in self.conns:
            c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def free_port() -> int:
    for _ in range(200):
        port = random.randrange(*harness.PORT_RANGE)
        if harness.port_free("127.0.0.1", port):
            return port
    raise RuntimeError("no free port")


class BadInput(WardenTestCase):
    def assertUnknownQuickly(self, run, limit: float = QUICK):
        self.assertNoCrash(run)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertLess(run.elapsed, limit, f"took {run.elapsed:.2f}s\n{run.describe()}")
        lines = [l for l in run.err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, f"want a one-line error on stderr\n{run.describe()}")

    def check(self, seed: str, *extra: str):
        return run_warden("check", "--seed", seed, "--timeout", "1000", *extra, limit=15)

    def test_unknown_host(self):
        run = self.check("no-such-host.invalid:6379")
        self.assertUnknownQuickly(run)
        self.assertIn("no-such-host.invalid", run.err)

    def test_connection_refused(self):
        port = free_port()
        run = self.check(f"127.0.0.1:{port}")
        self.assertUnknownQuickly(run)
        self.assertIn(str(port), run.err)

    def test_http_service(self):
        with FakeServer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as srv:
            for fmt in ("text", "json", "nagios"):
                with self.subTest(fmt=fmt):
                    self.assertUnknownQuickly(self.check(srv.address, "--format", fmt))

    def test_garbage_reply(self):
        with FakeServer(b"*99999999999\r\n\x00\xff\xfe$-7\r\n:abc\r\n") as srv:
            self.assertUnknownQuickly(self.check(srv.address))

    def test_closes_without_reply(self):
        with FakeServer(b"") as srv:
            self.assertUnknownQuickly(self.check(srv.address))

    def test_silent_service_bounded_by_timeout(self):
        with FakeServer(hold=True) as srv:
            run = run_warden("check", "--seed", srv.address, "--timeout", "500", limit=10)
            self.assertUnknownQuickly(run, limit=1.0)

    def test_standalone_redis(self):
        with Standalone() as s:
            run = self.check(s.address)
            self.assertUnknownQuickly(run)
            self.assertRegex(run.err, r"(?i)cluster")

    def test_nagios_unknown_line(self):
        port = free_port()
        run = run_warden("check", "--seed", f"127.0.0.1:{port}", "--format", "nagios",
                         limit=15)
        self.assertNoCrash(run)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertTrue(run.out.startswith("REDIS CLUSTER UNKNOWN"), run.describe())

    def test_bad_arguments(self):
        cases = {
            "no seed": ["check"],
            "seed without port": ["check", "--seed", "127.0.0.1"],
            "port not a number": ["check", "--seed", "127.0.0.1:http"],
            "port out of range": ["check", "--seed", "127.0.0.1:70000"],
            "unknown option": ["check", "--seed", "127.0.0.1:7000", "--no-such-option"],
            "bad format": ["check", "--seed", "127.0.0.1:7000", "--format", "xml"],
            "bad timeout": ["check", "--seed", "127.0.0.1:7000", "--timeout", "soon"],
        }
        for name, args in cases.items():
            with self.subTest(case=name):
                run = run_warden(*args, limit=15)
                self.assertNoCrash(run)
                self.assertExit(run, EXIT_UNKNOWN)
                self.assertLess(run.elapsed, QUICK)
                self.assertTrue(run.err.strip(), f"no error message\n{run.describe()}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
