#!/usr/bin/python3
"""Replay server: serves one recorded six-node cluster of tests/fixtures/redis-versions.

Each node of `<flavour>-<version>/<case>/` (files `<role>-<port>.json`: a JSON array of
{"command": [args], "reply_b64": raw RESP reply}) gets its own listening port on
127.0.0.1. It is a replay, not a Redis: nothing is stored, every answer is a recorded
reply (or the version's own error text, derived from the recorded error replies).

Ports. The recordings used 24000-24005 (bus 34000-34005). Every reply is rewritten so the
recorded port `2400N` becomes the new port and `3400N` becomes new port + 10000 (only whole
numbers: not inside another number or a hex node id, so `used_memory:2400336` and node ids
are left alone). Both are five digits, so RESP lengths stay right; every rewritten reply is
parsed once at load time to prove it.

How a request is answered (command name and subcommand case-insensitive):
  1. AUTH: per-connection state (password case) as described in the README of the fixtures:
     before a successful AUTH every command but AUTH gets the recorded NOAUTH reply (PING the
     recorded pre-auth PING reply); `AUTH <password>` the recorded +OK, a wrong one the
     recorded wrong-password reply, `AUTH user pass` the recorded reply for that form
     (`AUTH default <password>` succeeds where the version has ACLs).
  2. CONFIG GET: the exact recorded reply for one parameter; several parameters or a glob
     pattern combine the recorded pairs; a parameter never recorded answers `*0` (what a
     real server answers for an unknown parameter).
     COMMAND INFO: per name, the recorded entry; a name never recorded answers nil.
     INFO: the recorded sections asked for (all of them for INFO/all/default/everything;
     `cluster` is `cluster_enabled:1`); an unknown section answers an empty string.
  3. An exact match (same arguments) of a recorded command.
  4. A command the version does not know (never recorded, or recorded only with the
     version's "unknown command" error): that error, formatted as that version formats it
     (derived from the recorded reply to NOSUCHCMD: 3.2 `'NAME'`, 4.0-6.2 backticks and
     `` `arg`, `` args, 7.x and Valkey `'NAME'` and `'arg' ` args).
  5. For a command with subcommands (CLUSTER, CONFIG, ACL, CLIENT...): the first recorded
     reply of the same subcommand, else the version's unknown-subcommand error (derived from
     the recorded reply to CLUSTER NOSUCHSUB). For any other command: the first recorded
     reply of the same command name (so MIGRATE, DUMP, RESTORE... replay what was recorded).
A malformed request gets `-ERR Protocol error: ...` and the connection is closed. Inline
commands are not supported (they count as malformed). Pipelining and many connections at
once are fine (one asyncio loop in a background thread serves every node).

Library use (system python3, stdlib only):

    from replay_server import ReplayCluster
    with ReplayCluster("tests/fixtures/redis-versions/redis-6.2.16", "password") as rc:
        rc.addresses            # ["127.0.0.1:15000", ...] in recorded-port order
        rc.address_of(24002)    # where the node recorded on 24002 now listens

CLI (runs until SIGTERM/SIGINT; prints one address per line, then "ready"):

    replay_server.py tests/fixtures/redis-versions/redis-7.0.15/open [--base-port 15000]
    replay_server.py tests/fixtures/redis-versions/redis-7.0.15 --case password
    redis-warden check --seed 127.0.0.1:15000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import fnmatch
import json
import os
import random
import re
import signal
import socket
import sys
import threading
from collections import deque
from dataclasses import dataclass
from typing import Optional

RECORDED_BASE = 24000
RECORDED_BUS_BASE = 34000
BUS_OFFSET = 10000
NODES = 6
PORT_RANGE = (12000, 21000)  # five digits, bus port (+10000) too, below the ephemeral range

# Request limits: beyond them the request is malformed and the connection closed.
MAX_HEADER = 64 * 1024
MAX_ARGS = 1024 * 1024
MAX_BULK = 64 * 1024 * 1024
MAX_BUFFER = 128 * 1024 * 1024

# Commands whose first argument is a subcommand.
CONTAINERS = {b"CLUSTER", b"CONFIG", b"ACL", b"COMMAND", b"CLIENT", b"OBJECT", b"MEMORY",
              b"SCRIPT", b"XINFO", b"XGROUP", b"FUNCTION", b"MODULE", b"SLOWLOG",
              b"LATENCY", b"PUBSUB", b"DEBUG"}

# INFO's section order in real servers.
INFO_ORDER = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
              "modules", "errorstats", "cluster", "keyspace"]
CLUSTER_SECTION = b"# Cluster\r\ncluster_enabled:1\r\n"

_PORT_RE = re.compile(rb"(?<![0-9A-Za-z])([23])400([0-5])(?![0-9A-Za-z])")


class ReplayError(RuntimeError):
    """A recording cannot be served (bad file, bad reply, no free ports)."""


class ProtocolError(Exception):
    pass


# -- RESP ---------------------------------------------------------------------------------

def resp_end(data: bytes, pos: int = 0) -> int:
    """Offset just past the one complete RESP2 value at data[pos:]; raises ValueError."""
    end = data.index(b"\r\n", pos)
    kind, line = data[pos:pos + 1], data[pos + 1:end]
    pos = end + 2
    if kind in (b"+", b"-"):
        return pos
    if kind == b":":
        int(line)
        return pos
    if kind == b"$":
        n = int(line)
        if n < 0:
            return pos
        if data[pos + n:pos + n + 2] != b"\r\n":
            raise ValueError(f"bulk of {n} bytes not followed by CRLF at {pos + n}")
        return pos + n + 2
    if kind == b"*":
        n = int(line)
        for _ in range(max(n, 0)):
            pos = resp_end(data, pos)
        return pos
    raise ValueError(f"unknown RESP type {kind!r} at {pos}")


def resp_decode(data: bytes, pos: int = 0):
    """(value, end) for simple RESP2 values: bytes, int, None, list, or ('error', text)."""
    end = data.index(b"\r\n", pos)
    kind, line = data[pos:pos + 1], data[pos + 1:end]
    pos = end + 2
    if kind == b"+":
        return line, pos
    if kind == b"-":
        return ("error", line), pos
    if kind == b":":
        return int(line), pos
    if kind == b"$":
        n = int(line)
        if n < 0:
            return None, pos
        return data[pos:pos + n], pos + n + 2
    if kind == b"*":
        n = int(line)
        if n < 0:
            return None, pos
        out = []
        for _ in range(n):
            value, pos = resp_decode(data, pos)
            out.append(value)
        return out, pos
    raise ValueError(f"unknown RESP type {kind!r}")


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def error(text: bytes) -> bytes:
    # As servers do: no CR/LF inside an error line.
    return b"-" + text.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n"


def parse_request(buf: bytearray):
    """(argv, consumed) for one complete request at buf's start, None if incomplete.

    Raises ProtocolError on malformed input (the connection is then closed)."""
    if not buf:
        return None
    if buf[0:1] != b"*":
        raise ProtocolError("expected '*', got '%s'" % chr(buf[0]) if 32 <= buf[0] < 127
                            else "expected '*' (inline commands are not supported)")
    end = buf.find(b"\r\n")
    if end < 0:
        if len(buf) > MAX_HEADER:
            raise ProtocolError("too big mbulk count string")
        return None
    count = _int(buf[1:end], "invalid multibulk length")
    if count > MAX_ARGS:
        raise ProtocolError("invalid multibulk length")
    pos = end + 2
    argv = []
    for _ in range(max(count, 0)):
        if pos >= len(buf):
            return None
        if buf[pos:pos + 1] != b"$":
            raise ProtocolError("expected '$', got '%s'" % chr(buf[pos])
                                if 32 <= buf[pos] < 127 else "expected '$'")
        end = buf.find(b"\r\n", pos)
        if end < 0:
            if len(buf) - pos > MAX_HEADER:
                raise ProtocolError("too big bulk count string")
            return None
        n = _int(buf[pos + 1:end], "invalid bulk length")
        if n < 0 or n > MAX_BULK:
            raise ProtocolError("invalid bulk length")
        start = end + 2
        if len(buf) < start + n + 2:
            return None
        if buf[start + n:start + n + 2] != b"\r\n":
            raise ProtocolError("bulk not terminated by CRLF")
        argv.append(bytes(buf[start:start + n]))
        pos = start + n + 2
    return argv, pos


def _int(text, message: str) -> int:
    if not re.fullmatch(rb"-?[0-9]{1,19}", bytes(text)):
        raise ProtocolError(message)
    return int(text)


# -- one node's recording -----------------------------------------------------------------

@dataclass
class ConnState:
    authed: bool = False


class NodeReplay:
    def __init__(self, path: str, port: int, base_port: int, password_case: bool):
        self.path = path
        self.port = port
        self.password_case = password_case
        # What clients asked, as "NAME" or "NAME SUB" (no arguments: no passwords kept).
        self.seen: deque = deque(maxlen=20000)
        try:
            with open(path, "rb") as f:
                raw = json.load(f)
        except (OSError, ValueError) as exc:
            raise ReplayError(f"{path}: {exc}") from exc
        if not isinstance(raw, list) or not raw:
            raise ReplayError(f"{path}: not a non-empty JSON array")

        def rewrite(m: re.Match) -> bytes:
            n = int(m.group(2))
            new = base_port + n + (BUS_OFFSET if m.group(1) == b"3" else 0)
            out = str(new).encode()
            if len(out) != 5:
                raise ReplayError(f"port {new} is not five digits: RESP lengths would change")
            return out

        self.entries: list[tuple[list[bytes], bytes]] = []
        for i, item in enumerate(raw):
            try:
                argv = [a.encode() if isinstance(a, str) else bytes(a) for a in item["command"]]
                reply = base64.b64decode(item["reply_b64"], validate=True)
            except (KeyError, TypeError, ValueError) as exc:
                raise ReplayError(f"{path}: entry {i}: {exc}") from exc
            new = _PORT_RE.sub(rewrite, reply)
            if len(new) != len(reply):
                raise ReplayError(f"{path}: entry {i}: rewriting ports changed the length")
            try:
                if resp_end(new) != len(new):
                    raise ValueError("trailing bytes after the reply")
            except (ValueError, IndexError) as exc:
                raise ReplayError(f"{path}: entry {i} {item['command']}: the rewritten reply "
                                  f"is not one RESP value ({exc})") from exc
            if not argv:
                raise ReplayError(f"{path}: entry {i}: empty command")
            self.entries.append((argv, new))
        self._index()

    # Build the lookup tables.
    def _index(self) -> None:
        self.password: Optional[bytes] = None
        first_ok = None
        for i, (argv, reply) in enumerate(self.entries):
            if argv[0].upper() == b"AUTH" and len(argv) == 2 and reply.startswith(b"+OK"):
                self.password, first_ok = argv[1], i
                break
        if self.password_case and self.password is None:
            raise ReplayError(f"{self.path}: password case without a successful AUTH")
        pre = self.entries[:first_ok] if self.password_case else []
        post = self.entries[first_ok + 1:] if self.password_case else self.entries

        self.noauth = b"-NOAUTH Authentication required.\r\n"
        self.pre_ping = None
        self.auth_wrong = None
        self.auth_user_form = None
        for argv, reply in pre:
            name = argv[0].upper()
            if name == b"PING" and self.pre_ping is None:
                self.pre_ping = reply
            elif name == b"AUTH" and len(argv) == 2 and self.auth_wrong is None:
                self.auth_wrong = reply
            elif name == b"AUTH" and len(argv) == 3 and self.auth_user_form is None:
                self.auth_user_form = reply
            elif reply.startswith(b"-NOAUTH"):
                self.noauth = reply
        if self.pre_ping is None:
            self.pre_ping = self.noauth

        self.exact: dict[tuple, bytes] = {}
        self.first: dict[tuple, bytes] = {}
        self.names: dict[bytes, list[bytes]] = {}
        self.config: dict[bytes, bytes] = {}     # parameter (lower) -> reply
        self.command_info: dict[bytes, bytes] = {}
        self.info: dict[str, bytes] = {}         # section -> text
        for argv, reply in post:
            key = self._key(argv)
            self.exact.setdefault(key, reply)
            self.first.setdefault(key[:2] if key[0] in CONTAINERS else key[:1], reply)
            self.names.setdefault(key[0], []).append(reply)
            if key[:2] == (b"CONFIG", b"GET") and len(argv) == 3:
                self.config.setdefault(argv[2].lower(), reply)
            elif key[:2] == (b"COMMAND", b"INFO") and len(argv) == 3:
                self.command_info.setdefault(argv[2].lower(), reply)
            elif key[0] == b"INFO" and len(argv) == 2 and reply.startswith(b"$"):
                value, _ = resp_decode(reply)
                if isinstance(value, bytes):
                    self.info.setdefault(argv[1].decode(errors="replace").lower(), value)

        try:
            self.unknown_template = self.exact[(b"NOSUCHCMD",)]
            self.subcommand_template = self.exact[(b"CLUSTER", b"NOSUCHSUB")]
        except KeyError as exc:
            raise ReplayError(f"{self.path}: no recorded NOSUCHCMD / CLUSTER NOSUCHSUB reply "
                              "to derive the version's error texts from") from exc
        server = self.info.get("server", b"")
        m = re.search(rb"^redis_version:(\d+)\.(\d+)", server, re.M)
        self.version = (int(m.group(1)), int(m.group(2))) if m else (0, 0)

    @staticmethod
    def _key(argv: list[bytes]) -> tuple:
        name = argv[0].upper()
        if name in CONTAINERS and len(argv) > 1:
            return (name, argv[1].upper(), *argv[2:])
        return (name, *argv[1:])

    # -- the version's error texts
    def unknown_command(self, argv: list[bytes]) -> bytes:
        t = self.unknown_template
        marker = b"NOSUCHCMD"
        at = t.index(marker)
        prefix, suffix = t[:at], t[at + len(marker):]
        args = b""
        if b"with args beginning with:" in suffix:
            name = argv[0][:128]
            form = b"`%s`, " if prefix.endswith(b"`") else b"'%s' "
            for a in argv[1:]:
                if len(args) >= 128:
                    break
                args += form % a[:128 - len(args)]
        else:
            name = argv[0]
        body = (prefix + name + suffix)[1:]
        body = body[:-2] + args if body.endswith(b"\r\n") else body + args
        return error(body)

    def unknown_subcommand(self, argv: list[bytes]) -> bytes:
        t = self.subcommand_template[1:-2]
        t = t.replace(b"NOSUCHSUB", argv[1][:128]).replace(b"CLUSTER", argv[0].upper())
        return error(t)

    def wrong_arity(self, argv: list[bytes]) -> bytes:
        return error(b"ERR wrong number of arguments for '%s' command" % argv[0].lower())

    def knows(self, name: bytes) -> bool:
        """Whether the version knows command `name` (it answered something else than
        its unknown-command error to it)."""
        replies = self.names.get(name)
        if not replies:
            return False
        return not all(r.startswith(b"-") and b"unknown command" in r.lower() for r in replies)

    # -- answering
    def answer(self, state: ConnState, argv: list[bytes]) -> bytes:
        name = argv[0].upper()
        shown = name + b" " + argv[1].upper() if name in CONTAINERS and len(argv) > 1 else name
        self.seen.append(shown.decode(errors="replace"))
        if name == b"AUTH":
            return self.auth(state, argv)
        if self.password_case and not state.authed:
            if name not in (b"PING",) and self.names.get(name) and not self.knows(name):
                return self.unknown_command(argv)  # a real server looks the command up first
            return self.pre_ping if name == b"PING" else self.noauth
        return self.lookup(argv)

    def auth(self, state: ConnState, argv: list[bytes]) -> bytes:
        acl = self.version >= (6, 0)
        if len(argv) not in (2, 3):
            return self.wrong_arity(argv)
        if not self.password_case:
            recorded = self.exact.get(self._key(argv))
            if recorded is not None:
                return recorded
            if len(argv) == 2:
                if acl:
                    return error(b"ERR AUTH <password> called without any password configured "
                                 b"for the default user. Are you sure your configuration is "
                                 b"correct?")
                return error(b"ERR Client sent AUTH, but no password is set")
            if not acl:
                return self.wrong_arity(argv)
            if argv[1] == b"default":
                return b"+OK\r\n"  # nopass
            return error(b"WRONGPASS invalid username-password pair" +
                         (b" or user is disabled." if self.version >= (6, 2) else b""))
        if len(argv) == 2:
            if argv[1] == self.password:
                state.authed = True
                return b"+OK\r\n"
            if not acl:
                state.authed = False  # before 6.0 a failed AUTH logs the client out
            return self.auth_wrong or error(b"ERR invalid password")
        if acl and argv[1] == b"default" and argv[2] == self.password:
            state.authed = True
            return b"+OK\r\n"
        return self.auth_user_form or self.wrong_arity(argv)

    def lookup(self, argv: list[bytes]) -> bytes:
        key = self._key(argv)
        name = key[0]
        if key[:2] == (b"CONFIG", b"GET") and len(argv) >= 3:
            return self.config_get(argv[2:])
        if key[:2] == (b"COMMAND", b"INFO") and len(argv) >= 3 and self.knows(b"COMMAND"):
            return self.command_info_of(argv[2:])
        if name == b"INFO" and self.info:
            return self.info_of(argv[1:])
        recorded = self.exact.get(key)
        if recorded is not None:
            return recorded
        if not self.knows(name):
            return self.unknown_command(argv)
        if name in CONTAINERS:
            if len(argv) < 2:
                return self.wrong_arity(argv)
            return self.first.get(key[:2]) or self.unknown_subcommand(argv)
        return self.first.get(key[:1]) or self.unknown_command(argv)

    def config_get(self, patterns: list[bytes]) -> bytes:
        if len(patterns) == 1 and patterns[0].lower() in self.config:
            return self.config[patterns[0].lower()]
        pairs: list[bytes] = []
        seen = set()
        for pattern in patterns:
            p = pattern.lower().decode(errors="replace")
            for name, reply in self.config.items():
                if name in seen or not fnmatch.fnmatchcase(name.decode(errors="replace"), p):
                    continue
                value, _ = resp_decode(reply)
                if isinstance(value, list) and len(value) >= 2:
                    seen.add(name)
                    pairs += value[:2]
        return b"*%d\r\n" % len(pairs) + b"".join(bulk(x or b"") for x in pairs)

    def command_info_of(self, names: list[bytes]) -> bytes:
        out = []
        for n in names:
            reply = self.command_info.get(n.lower())
            if reply is not None and reply.startswith(b"*1\r\n"):
                out.append(reply[4:])
            else:
                out.append(b"*-1\r\n")
        return b"*%d\r\n" % len(out) + b"".join(out)

    def info_of(self, sections: list[bytes]) -> bytes:
        wanted = [s.decode(errors="replace").lower() for s in sections] or ["default"]
        have = dict(self.info)
        have.setdefault("cluster", CLUSTER_SECTION)
        if any(w in ("all", "default", "everything") for w in wanted):
            wanted = list(have)
        if len(wanted) == 1 and wanted[0] in self.info:
            return self.exact.get((b"INFO", sections[0]), bulk(self.info[wanted[0]]))
        texts = [have[s] for s in INFO_ORDER if s in wanted and s in have]
        return bulk(b"\r\n".join(texts))


# -- the cluster: six nodes, one event loop ------------------------------------------------

def bind_ports(host: str, base: int, count: int = NODES) -> Optional[list[socket.socket]]:
    """Listening sockets on base..base+count-1, or None if one of them is taken."""
    socks = []
    try:
        for i in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            # Linux: still refuses a port another socket listens on; allows TIME_WAIT ones.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, base + i))
            s.listen(128)
            s.setblocking(False)
        return socks
    except OSError:
        for s in socks:
            s.close()
        return None


def candidate_bases(tries: int = 200):
    """Random bases (multiples of 10) in PORT_RANGE: five-digit ports and bus ports."""
    rng = random.Random(int.from_bytes(os.urandom(8), "little") ^ os.getpid())
    lo, hi = PORT_RANGE
    for _ in range(tries):
        yield rng.randrange(lo // 10, (hi - NODES) // 10) * 10


def free_base_port(host: str = "127.0.0.1") -> int:
    """A base whose six ports are free right now (for the CLI's --base-port)."""
    for base in candidate_bases():
        socks = bind_ports(host, base)
        if socks is not None:
            for s in socks:
                s.close()
            return base
    raise ReplayError(f"no six free consecutive ports in {PORT_RANGE}")


@dataclass
class ReplayNode:
    role: str
    recorded_port: int
    port: int
    path: str
    replay: NodeReplay

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class ReplayCluster:
    """Serves one recorded cluster (`version_dir`/`case`) on six fresh loopback ports."""

    def __init__(self, version_dir: str, case: Optional[str] = None,
                 base_port: Optional[int] = None, host: str = "127.0.0.1"):
        self.dir = os.path.join(version_dir, case) if case else version_dir
        self.case = case or os.path.basename(os.path.normpath(version_dir))
        self.host = host
        self.requested_base = base_port
        self.base_port: Optional[int] = None
        self.nodes: list[ReplayNode] = []
        self._files = self._find_files()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._servers: list = []
        self._tasks: set = set()
        self.connections = 0

    def _find_files(self) -> list[tuple[str, int, str]]:
        try:
            names = sorted(os.listdir(self.dir))
        except OSError as exc:
            raise ReplayError(f"cannot read {self.dir}: {exc}") from exc
        files = []
        for n in names:
            m = re.fullmatch(r"(master|replica)-(\d+)\.json", n)
            if m:
                files.append((m.group(1), int(m.group(2)), os.path.join(self.dir, n)))
        files.sort(key=lambda f: f[1])
        ports = [f[1] for f in files]
        if ports != list(range(RECORDED_BASE, RECORDED_BASE + NODES)):
            raise ReplayError(f"{self.dir}: expected nodes recorded on {RECORDED_BASE}-"
                              f"{RECORDED_BASE + NODES - 1}, found {ports}")
        return files

    @property
    def addresses(self) -> list[str]:
        return [n.address for n in self.nodes]

    @property
    def seed(self) -> str:
        return self.nodes[0].address

    def address_of(self, recorded_port: int) -> str:
        for n in self.nodes:
            if n.recorded_port == recorded_port:
                return n.address
        raise KeyError(recorded_port)

    def commands_seen(self) -> dict[str, list[str]]:
        """address -> the commands clients sent it so far ("CONFIG GET", "PING"...)."""
        return {n.address: list(n.replay.seen) for n in self.nodes}

    def node(self, recorded_port: int) -> ReplayNode:
        for n in self.nodes:
            if n.recorded_port == recorded_port:
                return n
        raise KeyError(recorded_port)

    # -- ports
    def _bind(self, base: int) -> Optional[list[socket.socket]]:
        return bind_ports(self.host, base)

    def _bind_free(self) -> tuple[int, list[socket.socket]]:
        if self.requested_base is not None:
            socks = self._bind(self.requested_base)
            if socks is None:
                raise ReplayError(f"ports {self.requested_base}-{self.requested_base + 5} "
                                  "are not free")
            return self.requested_base, socks
        for base in candidate_bases():
            socks = self._bind(base)
            if socks is not None:
                return base, socks
        raise ReplayError(f"no six free consecutive ports in {PORT_RANGE}")

    # -- lifecycle
    def start(self) -> "ReplayCluster":
        if self._thread is not None:
            return self
        base, socks = self._bind_free()
        try:
            self.base_port = base
            password_case = self.case == "password"
            self.nodes = []
            for role, recorded, path in self._files:
                port = base + recorded - RECORDED_BASE
                self.nodes.append(ReplayNode(role, recorded, port, path,
                                             NodeReplay(path, port, base, password_case)))
        except Exception:
            for s in socks:
                s.close()
            raise
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                for node, sock in zip(self.nodes, socks):
                    server = self._loop.run_until_complete(asyncio.start_server(
                        lambda r, w, n=node: self._serve(n, r, w), sock=sock))
                    self._servers.append(server)
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                started.set()
                return
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._shutdown())
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"replay-{self.dir}", daemon=True)
        self._thread.start()
        if not started.wait(10) or failure:
            self.stop()
            raise ReplayError(f"replay servers did not start: {failure[:1]}")
        return self

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 2)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                pass

    def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> "ReplayCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- one connection
    async def _serve(self, node: ReplayNode, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self.connections += 1
        state = ConnState()
        buf = bytearray()
        try:
            while True:
                data = await reader.read(256 * 1024)
                if not data:
                    break
                buf += data
                if len(buf) > MAX_BUFFER:
                    writer.write(error(b"ERR Protocol error: request too large"))
                    break
                out = []
                closing = False
                while buf:
                    try:
                        parsed = parse_request(buf)
                    except ProtocolError as exc:
                        out.append(error(b"ERR Protocol error: " + str(exc).encode()))
                        closing = True
                        break
                    if parsed is None:
                        break
                    argv, used = parsed
                    del buf[:used]
                    if not argv:
                        continue
                    try:
                        out.append(node.replay.answer(state, argv))
                    except Exception as exc:  # noqa: BLE001 - never take the server down
                        out.append(error(b"ERR replay server: " + repr(exc).encode()[:200]))
                    if argv[0].upper() == b"QUIT":
                        closing = True
                        break
                if out:
                    writer.write(b"".join(out))
                    await writer.drain()
                if closing:
                    break
        except (ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Serve a recorded six-node cluster on loopback.")
    ap.add_argument("dir", help="<flavour>-<version>/<case> (or <flavour>-<version> with --case)")
    ap.add_argument("--case", choices=("open", "password"), default=None)
    ap.add_argument("--base-port", type=int, default=None,
                    help=f"first of six consecutive ports (default: free ones in {PORT_RANGE})")
    args = ap.parse_args(argv)
    directory = args.dir
    if args.case is None and not any(n.endswith(".json") for n in os.listdir(directory)):
        args.case = "open"
    if args.base_port is not None and not (10000 <= args.base_port <= 55530):
        ap.error("--base-port: the port and bus port (+10000) must both have five digits")
    try:
        rc = ReplayCluster(directory, args.case, base_port=args.base_port).start()
    except ReplayError as exc:
        print(f"replay_server: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for n in rc.nodes:
        print(f"{n.address} {n.role} (recorded {n.recorded_port})")
    print("ready", flush=True)
    while not stop.wait(0.5):
        pass
    rc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
