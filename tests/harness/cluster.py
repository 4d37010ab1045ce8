#!/usr/bin/python3
"""Local Redis Cluster harness: real redis-server processes on loopback.

Starts N masters x R replicas of Debian's redis-server (7.0) on free ports in a temp
dir, optionally spread over 127.0.0.1/.2/.3 as separate "hosts", with optional
requirepass/masterauth and ACL users. The cluster is created deterministically
(ADDSLOTSRANGE + MEET + REPLICATE, no `redis-cli --cluster create`) and every wait is
bounded. Teardown kills every process it started by pid (SIGCONT first, then SIGKILL)
and removes the temp dir; it runs on stop(), on leaving a `with` block, at interpreter
exit and, through PR_SET_PDEATHSIG, when the owning Python process dies hard.

Library use (system python3: stdlib + Debian's python3-redis):

    from cluster import Cluster
    with Cluster(masters=3, replicas=1, hosts=3) as c:
        c.masters()[0].address        # "127.0.0.1:15000"
        c.kill(c.replicas_of(m)[0])   # SIGKILL by pid
        c.redis(node).ping()

CLI (processes outlive the CLI; state recorded in DIR/cluster.json):

    cluster.py start --masters 3 --replicas 1 --hosts 3 --dir D   # prints JSON
    cluster.py status --dir D
    cluster.py restart --dir D --port P    # start a killed node again
    cluster.py stop --dir D
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

try:
    import redis  # Debian: python3-redis
except ImportError:  # pragma: no cover - reported when a client is first needed
    redis = None

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
SLOTS = 16384
PORT_RANGE = (12000, 21000)  # port + 10000 (bus) stays below the ephemeral range 32768+
BUS_OFFSET = 10000
TLS_PLAIN_OFFSET = 5000  # a mixed TLS node's plaintext port: its (TLS) port + this
FORMING_NODE_TIMEOUT_MS = 60000  # cluster-node-timeout while the nodes meet (_meet_all)
STATE_FILE = "cluster.json"


class HarnessError(RuntimeError):
    """A cluster could not be started or did not converge in time."""


class PortInUse(HarnessError):
    pass


# --------------------------------------------------------------------------- helpers

def wait_until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition",
               interval: float = 0.1):
    """Poll predicate until it returns a truthy value (returned) or raise HarnessError.

    Exceptions raised by the predicate count as "not yet"; the last one is quoted in the
    timeout message so a failure says what was going wrong.
    """
    deadline = time.monotonic() + timeout
    last_exc: Optional[BaseException] = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_exc = None
        except Exception as exc:  # noqa: BLE001 - any error means "not converged yet"
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {type(last_exc).__name__}: {last_exc})" if last_exc else ""
            raise HarnessError(f"timed out after {timeout:.1f}s waiting for {what}{detail}")
        time.sleep(interval)


def port_free(host: str, port: int) -> bool:
    """True when port can be bound on host and on the wildcard address (so nothing else,
    on any address, listens there)."""
    for addr in (host, "0.0.0.0"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def parse_cluster_nodes(text: str) -> list[dict]:
    """Minimal CLUSTER NODES parser for the harness' own convergence checks."""
    out = []
    for line in text.strip().splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        addr = parts[1].split("@")[0]
        host, _, port = addr.rpartition(":")
        flags = parts[2].split(",")
        out.append({
            "id": parts[0],
            "address": addr,
            "host": host,
            "port": int(port) if port.isdigit() else 0,
            "flags": flags,
            "role": "master" if "master" in flags else ("replica" if "slave" in flags else "?"),
            "master_id": None if parts[3] == "-" else parts[3],
            "link": parts[7],
            "slots": parts[8:],
            "myself": "myself" in flags,
        })
    return out


def _q(value: str) -> str:
    """Quote a value for redis.conf (double quotes, backslash escapes)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{out}"'


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _LIBC = None


def _pdeathsig_hook(parent: int):
    """preexec_fn: the child gets SIGKILL when its parent dies (even by SIGKILL), so a
    crashed or killed test run leaves no redis-server behind."""
    def hook():
        if _LIBC is not None:
            _LIBC.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # parent already gone before prctl took effect
            os._exit(1)
    return hook


def _pid_is(pid: int, port: int) -> bool:
    """True when pid is (still) a redis-server for this port: guards against pid reuse."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return "redis-server" in cmd and (f":{port}" in cmd or f"/node-{port}/" in cmd)


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return False


# --------------------------------------------------------------------------- model

@dataclass
class Node:
    index: int
    host: str
    port: int
    dir: str
    role: str = "master"               # "master" | "replica" | "spare" (as started/refreshed)
    master_index: Optional[int] = None  # planned master (layout), for replicas
    id: str = ""
    master_id: Optional[str] = None
    pid: Optional[int] = None
    proc: Optional[subprocess.Popen] = field(default=None, repr=False, compare=False)
    stopped: bool = False               # SIGSTOPped by us

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def bus_port(self) -> int:
        return self.port + BUS_OFFSET

    @property
    def conf(self) -> str:
        return os.path.join(self.dir, "redis.conf")

    @property
    def log(self) -> str:
        return os.path.join(self.dir, "redis.log")

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return self.pid is not None and _pid_alive(self.pid)

    def as_dict(self) -> dict:
        return {"id": self.id, "address": self.address, "host": self.host, "port": self.port,
                "role": self.role, "master_id": self.master_id, "pid": self.pid, "dir": self.dir}


class Cluster:
    """A local Redis Cluster of real redis-server processes.

    masters, replicas: layout (replicas per master).
    hosts: spread nodes over 127.0.0.1..127.0.0.<hosts> (1-3 or more).
    same_host_replicas: put each replica on its master's host (default: another host
        whenever hosts > 1).
    password: requirepass + masterauth of the default user.
    user, user_password: an ACL user with all permissions, used as masteruser for
        replication. With a user and no password, the default user is turned off.
    protected_mode: keep Redis' protected mode on (off by default: without a password it
        refuses replicas on 127.0.0.2/.3).
    node_timeout: cluster-node-timeout in ms (FORMING_NODE_TIMEOUT_MS, if longer, while the
        nodes meet in start(); see _meet_all).
    spares: extra empty cluster-enabled nodes, started but not joined.
    base_port: try this base first (e.g. fixed demo ports), else a random free one.
    dir: directory for the node dirs (created; default a new tempfile.mkdtemp()).
    daemon: processes outlive this Python process (own session, no death signal, no
        teardown at exit once started) - for the CLI.
    extra_config: lines appended to every node's redis.conf.
    timeout: bound for each convergence wait, seconds.
    require_links_up: wait for master_link_status:up on every replica (turn off for tests
        where replication is meant to fail, e.g. protected mode refusing 127.0.0.2/.3).
    keep_dir: leave the directory (logs, nodes.conf) in place on stop.
    tls: a tls_files.TlsAuthority: every node gets a certificate it signs and listens with
        TLS on its port (tls-cluster, tls-replication yes); clients need a certificate
        (tls-auth-clients) unless tls_auth_clients is False. tls_mode "only": `port 0`;
        "mixed": a plaintext port too, at port + TLS_PLAIN_OFFSET (node.plain_port).
        tls_node_days: {node index: days} for certificates not valid the default 365 days.
    """

    def __init__(self, masters: int = 3, replicas: int = 1, hosts: int = 1, *,
                 same_host_replicas: bool = False, password: Optional[str] = None,
                 user: Optional[str] = None, user_password: Optional[str] = None,
                 protected_mode: bool = False, node_timeout: int = 2000, spares: int = 0,
                 base_port: Optional[int] = None, dir: Optional[str] = None,
                 daemon: bool = False, extra_config: Optional[list[str]] = None,
                 timeout: float = 30.0, keep_dir: bool = False,
                 require_links_up: bool = True, tls=None, tls_mode: str = "only",
                 tls_auth_clients: bool = True, tls_node_days: Optional[dict] = None):
        if masters < 1 or replicas < 0 or hosts < 1 or spares < 0:
            raise ValueError("masters >= 1, replicas >= 0, hosts >= 1, spares >= 0")
        if hosts > 254:
            raise ValueError("hosts must be <= 254")
        if user and not user_password:
            raise ValueError("user needs user_password")
        self.n_masters = masters
        self.n_replicas = replicas
        self.n_hosts = hosts
        self.same_host_replicas = same_host_replicas
        self.password = password
        self.user = user
        self.user_password = user_password
        self.protected_mode = protected_mode
        self.node_timeout = node_timeout
        self.n_spares = spares
        self.base_port = base_port
        self.daemon = daemon
        self.extra_config = list(extra_config or [])
        self.timeout = timeout
        self.keep_dir = keep_dir
        self.require_links_up = require_links_up
        if tls_mode not in ("only", "mixed"):
            raise ValueError("tls_mode is 'only' or 'mixed'")
        self.tls = tls
        self.tls_mode = tls_mode
        self.tls_auth_clients = tls_auth_clients
        self.tls_node_days = dict(tls_node_days or {})
        self.tls_client: Optional[tuple[str, str]] = None  # (cert, key) warden's tests use
        self._node_certs: dict[int, tuple[str, str]] = {}
        self._own_dir = dir is None
        self.dir = dir
        self.nodes: list[Node] = []
        self._clients: dict[tuple, object] = {}
        self._started = False
        self._atexit_registered = False

    # ----------------------------------------------------------------- credentials
    @property
    def client_username(self) -> Optional[str]:
        return self.user

    @property
    def client_password(self) -> Optional[str]:
        return self.user_password if self.user else self.password

    def cli_env(self) -> dict:
        """Environment for redis-cli / redis-warden carrying the password (REDISCLI_AUTH)."""
        env = dict(os.environ)
        env.pop("REDISCLI_AUTH", None)
        if self.client_password:
            env["REDISCLI_AUTH"] = self.client_password
        return env

    def cli_args(self) -> list[str]:
        return ["--user", self.user] if self.user else []

    def tls_args(self, prefix: str = "--") -> list[str]:
        """redis-warden's TLS flags for this cluster (CA and client certificate)."""
        if not self.tls:
            return []
        cert, key = self.tls_client
        return [f"{prefix}tls", f"{prefix}cacert", self.tls.cert, f"{prefix}cert", cert,
                f"{prefix}key", key]

    def tls_config(self) -> dict:
        """The `tls:` section of a redis-warden config for this cluster."""
        cert, key = self.tls_client
        return {"ca_file": self.tls.cert, "cert_file": cert, "key_file": key}

    def node_certificate(self, node: "Node") -> str:
        return self._node_certs[node.index][0]

    def _issue_certificates(self) -> None:
        if not self.tls or self.tls_client:
            return
        self.tls_client = self.tls.issue("warden-client")
        for i in range(len(self._layout())):
            days = self.tls_node_days.get(i, 365)
            self._node_certs[i] = self.tls.issue(f"node-{i}-{os.getpid()}-{id(self)}", days)

    # ----------------------------------------------------------------- layout
    def host_ip(self, h: int) -> str:
        return f"127.0.0.{h + 1}"

    def _layout(self) -> list[tuple[str, str, Optional[int]]]:
        """[(role, host, master_index)] for masters, then replicas, then spares."""
        hosts = [self.host_ip(h) for h in range(self.n_hosts)]
        out: list[tuple[str, str, Optional[int]]] = []
        for m in range(self.n_masters):
            out.append(("master", hosts[m % len(hosts)], None))
        for m in range(self.n_masters):
            mh = hosts[m % len(hosts)]
            others = [h for h in hosts if h != mh]
            for r in range(self.n_replicas):
                if self.same_host_replicas or not others:
                    out.append(("replica", mh, m))
                else:
                    out.append(("replica", others[(m + r) % len(others)], m))
        for s in range(self.n_spares):
            out.append(("spare", hosts[(self.n_masters + s) % len(hosts)], None))
        return out

    def _choose_base(self, layout, tried: set) -> int:
        n = len(layout)

        def fits(base: int) -> bool:
            if base + n - 1 >= PORT_RANGE[1] or base < PORT_RANGE[0]:
                return False
            return all(port_free(h, base + i) and port_free(h, base + i + BUS_OFFSET) and
                       (not self._plain_ports() or port_free(h, base + i + TLS_PLAIN_OFFSET))
                       for i, (_, h, _) in enumerate(layout))

        if self.base_port and self.base_port not in tried:
            tried.add(self.base_port)
            if fits(self.base_port):
                return self.base_port
        for _ in range(200):
            base = random.randrange(PORT_RANGE[0], PORT_RANGE[1] - n)
            if base in tried:
                continue
            tried.add(base)
            if fits(base):
                return base
        raise HarnessError(f"no free range of {n} ports (+{BUS_OFFSET} for the bus) found in "
                           f"{PORT_RANGE[0]}-{PORT_RANGE[1]}")

    # ----------------------------------------------------------------- config
    def _plain_ports(self) -> bool:
        return bool(self.tls) and self.tls_mode == "mixed"

    def _tls_lines(self, node: Node) -> list[str]:
        cert, key = self._node_certs[node.index]
        plain = node.port + TLS_PLAIN_OFFSET if self.tls_mode == "mixed" else 0
        return [
            f"port {plain}",
            f"tls-port {node.port}",
            f"tls-cert-file {cert}",
            f"tls-key-file {key}",
            f"tls-ca-cert-file {self.tls.cert}",
            "tls-cluster yes",
            "tls-replication yes",
            f"tls-auth-clients {'yes' if self.tls_auth_clients else 'no'}",
        ]

    def _config(self, node: Node) -> str:
        lines = self._tls_lines(node) if self.tls else [f"port {node.port}"]
        lines += [
            f"bind {node.host}",
            f"bind-source-addr {node.host}",
            f"protected-mode {'yes' if self.protected_mode else 'no'}",
            "cluster-enabled yes",
            "cluster-config-file nodes.conf",
            f"cluster-node-timeout {self.node_timeout}",
            f"dir {node.dir}",
            f"logfile {node.log}",
            "daemonize no",
            "appendonly no",
            'save ""',
            "enable-debug-command yes",
            "loglevel notice",
            "repl-diskless-sync-delay 0",
        ]
        if self.user:
            lines.append(f"user {_q(self.user)} on {_q('>' + self.user_password)} ~* &* +@all")
            lines.append(f"masteruser {_q(self.user)}")
            lines.append(f"masterauth {_q(self.user_password)}")
            if self.password:
                lines.append(f"requirepass {_q(self.password)}")
            else:
                lines.append("user default off")
        elif self.password:
            lines.append(f"requirepass {_q(self.password)}")
            lines.append(f"masterauth {_q(self.password)}")
        lines.extend(self.extra_config)
        return "\n".join(lines) + "\n"

    # ----------------------------------------------------------------- processes
    def _spawn(self, node: Node) -> None:
        args = [REDIS_SERVER, node.conf]
        kwargs: dict = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(node.dir, "stderr.log"), "ab"),
                            cwd=node.dir, close_fds=True)
        if self.daemon:
            kwargs["start_new_session"] = True
        else:
            kwargs["preexec_fn"] = _pdeathsig_hook(os.getpid())
        proc = subprocess.Popen(args, **kwargs)
        kwargs["stderr"].close()
        node.proc = proc
        node.pid = proc.pid
        node.stopped = False

    def _wait_up(self, node: Node, timeout: float) -> None:
        def up():
            if not node.alive():
                tail = self._log_tail(node)
                if "Address already in use" in tail or "Could not create server TCP" in tail \
                        or "bind:" in tail:
                    raise PortInUse(f"{node.address}: {tail.strip().splitlines()[-1:]}")
                raise HarnessError(f"redis-server {node.address} exited: {tail[-800:]}")
            try:
                return self.redis(node, timeout=1).ping()
            except redis.exceptions.ConnectionError:
                return False

        deadline = time.monotonic() + timeout
        while True:
            try:
                if up():
                    return
            except (PortInUse, HarnessError):
                raise
            except Exception:  # noqa: BLE001
                pass
            if time.monotonic() > deadline:
                raise HarnessError(f"redis-server {node.address} (pid {node.pid}) did not answer "
                                   f"PING within {timeout:.0f}s; log: {self._log_tail(node)[-500:]}")
            time.sleep(0.05)

    @staticmethod
    def _log_tail(node: Node) -> str:
        txt = ""
        for name in ("redis.log", "stderr.log"):
            try:
                with open(os.path.join(node.dir, name), errors="replace") as f:
                    txt += f.read()[-2000:]
            except OSError:
                pass
        return txt

    # ----------------------------------------------------------------- start
    def start(self) -> "Cluster":
        if self._started:
            return self
        if redis is None:
            raise HarnessError("python3-redis is not installed (apt-get install python3-redis)")
        if not os.path.exists(REDIS_SERVER):
            raise HarnessError(f"{REDIS_SERVER} not found (apt-get install redis-server)")
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="redis-warden-cluster-")
        else:
            os.makedirs(self.dir, exist_ok=True)
        self._register_teardown()
        self._issue_certificates()
        layout = self._layout()
        tried: set = set()
        attempts = 0
        while True:
            attempts += 1
            base = self._choose_base(layout, tried)
            self.nodes = []
            for i, (role, host, m) in enumerate(layout):
                port = base + i
                ndir = os.path.join(self.dir, f"node-{port}")
                shutil.rmtree(ndir, ignore_errors=True)
                os.makedirs(ndir)
                node = Node(index=i, host=host, port=port, dir=ndir, role=role, master_index=m)
                with open(node.conf, "w") as f:
                    f.write(self._config(node))
                self.nodes.append(node)
            try:
                for node in self.nodes:
                    self._spawn(node)
                for node in self.nodes:
                    self._wait_up(node, min(self.timeout, 20))
                break
            except PortInUse:
                self._kill_all()
                if attempts >= 5:
                    self.stop()
                    raise
            except BaseException:
                self.stop()
                raise
        try:
            self._create()
        except BaseException:
            self.stop()
            raise
        self._started = True
        self._write_state()
        if self.daemon:
            self._unregister_teardown()
        return self

    def _create(self) -> None:
        masters = [n for n in self.nodes if n.role == "master"]
        replicas = [n for n in self.nodes if n.role == "replica"]
        members = masters + replicas
        for n in self.nodes:
            n.id = self.redis(n).execute_command("CLUSTER", "MYID")
        for n in replicas:
            n.master_id = masters[n.master_index].id
        # Distinct config epochs up front (as redis-cli does) so no epoch collision has to be
        # resolved after the meet.
        for e, n in enumerate(members, start=1):
            self.redis(n).execute_command("CLUSTER", "SET-CONFIG-EPOCH", e)
        for i, m in enumerate(masters):
            lo = i * SLOTS // len(masters)
            hi = (i + 1) * SLOTS // len(masters) - 1
            r = self.redis(m)
            try:
                r.execute_command("CLUSTER", "ADDSLOTSRANGE", lo, hi)
            except redis.exceptions.ResponseError as exc:
                if "unknown subcommand" not in str(exc).lower():
                    raise
                for s in range(lo, hi + 1, 1000):
                    r.execute_command("CLUSTER", "ADDSLOTS", *range(s, min(s + 1000, hi + 1)))
        self._meet_all(members)
        for n in replicas:
            self.redis(n).execute_command("CLUSTER", "REPLICATE", n.master_id)
        self.wait_healthy()

    def _meet_all(self, members: list[Node]) -> None:
        """MEET every member from the first one and wait until each knows all of them, with
        cluster-node-timeout at FORMING_NODE_TIMEOUT_MS meanwhile, then the cluster's own.

        Forming opens a bus link from every node to every other (n*(n-1) links; with
        tls-cluster each is a TLS handshake) within seconds. Redis drops a node still in
        handshake after node-timeout and frees a link whose PONG is node-timeout/2 late, then
        reconnects. With 2 s and 90 TLS nodes on 2 cores the starved nodes kept dropping and
        reopening links (tens of thousands of half-closed sockets) and never all met; with a
        long timeout during the meet the mesh forms once, and steady state is unchanged."""
        forming = max(self.node_timeout, FORMING_NODE_TIMEOUT_MS)
        self._set_node_timeout(members, forming)
        first = members[0]
        for n in members[1:]:
            self.redis(first).execute_command("CLUSTER", "MEET", n.host, n.port, n.bus_port)
        total = len(members)
        wait_until(lambda: all(self._knows_all(n, total) for n in members), self.timeout,
                   f"every node to know all {total} nodes (CLUSTER MEET)")
        self._set_node_timeout(members, self.node_timeout)

    def _set_node_timeout(self, nodes: list[Node], ms: int) -> None:
        for n in nodes:
            self.redis(n).execute_command("CONFIG", "SET", "cluster-node-timeout", ms)

    def _knows_all(self, n: Node, total: int) -> bool:
        view = parse_cluster_nodes(self.redis(n).execute_command("CLUSTER", "NODES"))
        return len(view) == total and not any(
            f in v["flags"] for v in view for f in ("handshake", "noaddr", "fail", "fail?"))

    # ----------------------------------------------------------------- convergence
    def members(self) -> list[Node]:
        return [n for n in self.nodes if n.role != "spare"]

    def converged(self) -> tuple[bool, str]:
        """(True, "") when every member answers, reports cluster_state:ok, knows every member,
        every view agrees (ids, roles, masters, slots), every link is connected, no flag is
        fail/fail?/handshake, and every replica has master_link_status:up."""
        members = self.members()
        ids = {n.id for n in members}
        canon = None
        for n in members:
            r = self.redis(n)
            info = r.execute_command("CLUSTER", "INFO")
            if "cluster_state:ok" not in info:
                return False, f"{n.address} cluster_state not ok"
            view = parse_cluster_nodes(r.execute_command("CLUSTER", "NODES"))
            if {v["id"] for v in view} != ids:
                return False, f"{n.address} knows {len(view)} nodes, want {len(ids)}"
            for v in view:
                bad = {"fail", "fail?", "handshake", "noaddr"} & set(v["flags"])
                if bad:
                    return False, f"{n.address} sees {v['address']} {sorted(bad)}"
                if v["link"] != "connected":
                    return False, f"{n.address} sees {v['address']} link {v['link']}"
            sig = sorted((v["id"], v["address"], v["role"], v["master_id"] or "-",
                          " ".join(s for s in v["slots"] if not s.startswith("[")))
                         for v in view)
            if canon is None:
                canon = sig
            elif sig != canon:
                return False, f"{n.address}'s view differs from {members[0].address}'s"
            mine = next(v for v in view if v["myself"])
            if mine["role"] == "replica" and self.require_links_up:
                rep = r.execute_command("INFO", "replication")
                if isinstance(rep, bytes):
                    rep = rep.decode()
                if isinstance(rep, dict):
                    up = rep.get("master_link_status") == "up"
                else:
                    up = "master_link_status:up" in rep
                if not up:
                    return False, f"replica {n.address} master_link_status not up"
        return True, ""

    def wait_healthy(self, timeout: Optional[float] = None) -> None:
        """Bounded wait for a fully converged, healthy cluster; refreshes roles after."""
        timeout = self.timeout if timeout is None else timeout
        state = {"why": "not checked yet"}

        def check():
            ok, why = self.converged()
            state["why"] = why
            return ok

        try:
            wait_until(check, timeout, "cluster to converge", interval=0.1)
        except HarnessError as exc:
            raise HarnessError(f"{exc}; not converged: {state['why']}") from None
        self.refresh()

    def refresh(self) -> None:
        """Update role/master_id of every member from the first answering member's view."""
        for n in self.members():
            if not n.alive() or n.stopped:
                continue
            try:
                view = parse_cluster_nodes(self.redis(n, timeout=1).execute_command(
                    "CLUSTER", "NODES"))
            except Exception:  # noqa: BLE001
                continue
            byid = {v["id"]: v for v in view}
            for m in self.members():
                v = byid.get(m.id)
                if v and v["role"] in ("master", "replica"):
                    m.role = v["role"]
                    m.master_id = v["master_id"]
            return

    # ----------------------------------------------------------------- queries
    def node(self, key) -> Node:
        """Look a node up by id, address, port or index."""
        for n in self.nodes:
            if key in (n.id, n.address, n.port, n.index):
                return n
        raise KeyError(key)

    def masters(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "master"]

    def replicas(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "replica"]

    def spares(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "spare"]

    def replicas_of(self, master: Node) -> list[Node]:
        return [n for n in self.nodes if n.role == "replica" and n.master_id == master.id]

    def master_of(self, replica: Node) -> Node:
        return self.node(replica.master_id)

    def seeds(self) -> list[str]:
        return [n.address for n in self.members()]

    def redis(self, node: Node, timeout: float = 5.0, decode: bool = True):
        """A python-redis client for node (cached per node/timeout)."""
        key = (node.host, node.port, timeout, decode)
        c = self._clients.get(key)
        if c is None:
            c = redis.Redis(host=node.host, port=node.port, username=self.client_username,
                            password=self.client_password, socket_timeout=timeout,
                            socket_connect_timeout=timeout, decode_responses=decode,
                            **self.tls_client_kwargs())
            self._clients[key] = c
        return c

    def tls_client_kwargs(self) -> dict:
        """redis-py's TLS arguments for a client of this cluster ({} without TLS)."""
        if not self.tls:
            return {}
        cert, key = self.tls_client
        return dict(ssl=True, ssl_ca_certs=self.tls.cert, ssl_certfile=cert, ssl_keyfile=key,
                    ssl_cert_reqs="required")

    def cluster_nodes(self, node: Node) -> str:
        return self.redis(node).execute_command("CLUSTER", "NODES")

    def info(self, node: Node, section: str = "replication") -> dict:
        raw = self.redis(node).execute_command("INFO", section)
        if isinstance(raw, dict):
            return {k: str(v) for k, v in raw.items()}
        out = {}
        for line in raw.splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v.strip()
        return out

    # ----------------------------------------------------------------- faults
    def kill(self, node: Node, sig: int = signal.SIGKILL) -> None:
        """Send sig to node's process by pid. SIGKILL/SIGTERM also reap it."""
        if node.pid is None:
            raise HarnessError(f"{node.address} has no pid")
        if sig in (signal.SIGKILL, signal.SIGTERM) and node.stopped:
            os.kill(node.pid, signal.SIGCONT)
        os.kill(node.pid, sig)
        if sig == signal.SIGSTOP:
            node.stopped = True
        elif sig == signal.SIGCONT:
            node.stopped = False
        elif sig in (signal.SIGKILL, signal.SIGTERM):
            node.stopped = False
            self._reap(node, 10)
        self._drop_clients(node)

    def stop_node(self, node: Node) -> None:
        self.kill(node, signal.SIGSTOP)

    def cont_node(self, node: Node) -> None:
        self.kill(node, signal.SIGCONT)

    def _reap(self, node: Node, timeout: float) -> None:
        if node.proc is not None:
            try:
                node.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(node.pid, signal.SIGKILL)
                node.proc.wait(timeout)
        else:
            wait_until(lambda: not _pid_alive(node.pid), timeout, f"pid {node.pid} to exit")

    def restart(self, node: Node, wait: bool = True) -> None:
        """(Re)start node's redis-server with its config and nodes.conf; kills it first if it
        is still running. With wait, waits until it answers PING."""
        if node.alive():
            self.kill(node, signal.SIGKILL)
        self._drop_clients(node)
        self._spawn(node)
        if wait:
            self._wait_up(node, self.timeout)
        self._write_state()

    def wait_for_failover(self, old_master: Node, timeout: Optional[float] = None) -> Node:
        """Wait until a replica of old_master is master serving its slots in the views of every
        live member; returns the promoted node (roles refreshed)."""
        timeout = self.timeout if timeout is None else timeout
        candidates = {n.id for n in self.nodes if n.master_id == old_master.id}
        if not candidates:
            raise HarnessError(f"{old_master.address} has no replica to fail over to")

        def promoted():
            found = None
            for n in self.members():
                if n is old_master or not n.alive() or n.stopped:
                    continue
                view = parse_cluster_nodes(self.redis(n, timeout=1).execute_command(
                    "CLUSTER", "NODES"))
                new = [v for v in view if v["id"] in candidates and v["role"] == "master"
                       and any(not s.startswith("[") for s in v["slots"])]
                if not new:
                    return None
                if found is None:
                    found = new[0]["id"]
                elif found != new[0]["id"]:
                    return None
            return found

        new_id = wait_until(promoted, timeout, f"a replica of {old_master.address} to be "
                                               "promoted (failover)", interval=0.2)
        self.refresh()
        return self.node(new_id)

    def _drop_clients(self, node: Node) -> None:
        for key in [k for k in self._clients if k[0] == node.host and k[1] == node.port]:
            try:
                self._clients.pop(key).close()
            except Exception:  # noqa: BLE001
                pass

    # ----------------------------------------------------------------- teardown
    def _kill_all(self) -> None:
        for n in self.nodes:
            if n.pid is None:
                continue
            if n.proc is not None:
                if n.proc.poll() is None:
                    for sig in (signal.SIGCONT, signal.SIGKILL):
                        try:
                            os.kill(n.pid, sig)
                        except ProcessLookupError:
                            pass
                try:
                    n.proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            elif _pid_alive(n.pid) and _pid_is(n.pid, n.port):
                for sig in (signal.SIGCONT, signal.SIGKILL):
                    try:
                        os.kill(n.pid, sig)
                    except ProcessLookupError:
                        pass
                try:
                    wait_until(lambda: not _pid_alive(n.pid), 10, f"pid {n.pid} to exit")
                except HarnessError:
                    pass
            n.stopped = False
        for c in self._clients.values():
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self._clients.clear()

    def stop(self) -> None:
        """Kill every process this cluster started (by pid) and remove its directory."""
        self._kill_all()
        if self.dir and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        self._started = False
        self._unregister_teardown()

    def _register_teardown(self) -> None:
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

    def _unregister_teardown(self) -> None:
        if self._atexit_registered:
            atexit.unregister(self.stop)
            self._atexit_registered = False

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ----------------------------------------------------------------- state file
    def state(self) -> dict:
        return {"dir": self.dir, "masters": self.n_masters, "replicas": self.n_replicas,
                "hosts": self.n_hosts, "node_timeout": self.node_timeout,
                "auth": {"user": self.user, "password": bool(self.password or self.user)},
                "seeds": self.seeds(), "nodes": [n.as_dict() for n in self.nodes]}

    def _write_state(self) -> None:
        if not self.dir or not os.path.isdir(self.dir):
            return
        tmp = os.path.join(self.dir, STATE_FILE + ".tmp")
        with open(tmp, "w") as f:
            json.dump(self.state(), f, indent=2)
        os.replace(tmp, os.path.join(self.dir, STATE_FILE))


class Standalone:
    """One plain redis-server (cluster-enabled no by default) on a free port, for tests of
    what a tool does when pointed at something that is not a cluster node."""

    def __init__(self, host: str = "127.0.0.1", password: Optional[str] = None,
                 cluster_enabled: bool = False, extra_config: Optional[list[str]] = None,
                 timeout: float = 20.0, tls=None):
        self.tls = tls  # a TlsAuthority: TLS only (port 0), client certificates required
        self.host = host
        self.password = password
        self.cluster_enabled = cluster_enabled
        self.extra_config = list(extra_config or [])
        self.timeout = timeout
        self.dir: Optional[str] = None
        self.node: Optional[Node] = None
        self._registered = False

    @property
    def address(self) -> str:
        return self.node.address

    @property
    def port(self) -> int:
        return self.node.port

    def start(self) -> "Standalone":
        self.dir = tempfile.mkdtemp(prefix="redis-warden-standalone-")
        atexit.register(self.stop)
        self._registered = True
        helper = Cluster(1, 0, 1, password=self.password, dir=self.dir, timeout=self.timeout,
                         tls=self.tls)
        helper._issue_certificates()
        for _ in range(5):
            port = helper._choose_base([("master", self.host, None)], set())
            node = Node(index=0, host=self.host, port=port,
                        dir=os.path.join(self.dir, f"node-{port}"))
            os.makedirs(node.dir, exist_ok=True)
            conf = helper._config(node).replace(
                "cluster-enabled yes", f"cluster-enabled {'yes' if self.cluster_enabled else 'no'}")
            with open(node.conf, "w") as f:
                f.write(conf + "\n".join(self.extra_config) + "\n")
            helper.nodes = [node]
            helper._spawn(node)
            try:
                helper._wait_up(node, self.timeout)
            except PortInUse:
                helper._kill_all()
                continue
            except BaseException:
                helper._kill_all()
                raise
            self.node, self._helper = node, helper
            return self

    def tls_args(self, prefix: str = "--") -> list[str]:
        return self._helper.tls_args(prefix)
        raise HarnessError("could not find a free port for a standalone redis-server")

    def redis(self):
        return self._helper.redis(self.node)

    def stop(self) -> None:
        if self.node is not None:
            self._helper._kill_all()
            self.node = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        if self._registered:
            atexit.unregister(self.stop)
            self._registered = False

    def __enter__(self) -> "Standalone":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def stop_dir(path: str) -> list[int]:
    """Stop a cluster recorded in path/cluster.json (by pid, checking each pid is still that
    redis-server) and remove path. Returns the pids signalled."""
    state_path = os.path.join(path, STATE_FILE)
    with open(state_path) as f:
        state = json.load(f)
    killed = []
    for n in state.get("nodes", []):
        pid, port = n.get("pid"), n.get("port")
        if not pid or not _pid_alive(pid) or not _pid_is(pid, port):
            continue
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        killed.append(pid)
    for pid in killed:
        try:
            wait_until(lambda: not _pid_alive(pid), 10, f"pid {pid} to exit")
        except HarnessError as exc:
            print(f"warning: {exc}", file=sys.stderr)
    shutil.rmtree(path, ignore_errors=True)
    return killed


def restart_in_dir(path: str, port: int, timeout: float = 20.0) -> dict:
    """Start again (detached) the recorded node on port whose process is gone; records the
    new pid in path/cluster.json and returns that node's entry."""
    state_path = os.path.join(path, STATE_FILE)
    with open(state_path) as f:
        state = json.load(f)
    entry = next((n for n in state["nodes"] if n["port"] == port), None)
    if entry is None:
        raise HarnessError(f"no node with port {port} in {state_path}")
    if entry.get("pid") and _pid_alive(entry["pid"]) and _pid_is(entry["pid"], port):
        raise HarnessError(f"{entry['address']} is still running (pid {entry['pid']})")
    with open(os.path.join(entry["dir"], "stderr.log"), "ab") as err:
        proc = subprocess.Popen([REDIS_SERVER, os.path.join(entry["dir"], "redis.conf")],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, cwd=entry["dir"], close_fds=True,
                                start_new_session=True)
    entry["pid"] = proc.pid

    def listening():
        with socket.create_connection((entry["host"], port), timeout=1):
            return True
    wait_until(listening, timeout, f"{entry['address']} to accept connections")
    tmp = state_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, state_path)
    return entry


# --------------------------------------------------------------------------- CLI

def _main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start a cluster; processes outlive this command")
    s.add_argument("--masters", type=int, default=3)
    s.add_argument("--replicas", type=int, default=1)
    s.add_argument("--hosts", type=int, default=1)
    s.add_argument("--spares", type=int, default=0)
    s.add_argument("--same-host-replicas", action="store_true")
    s.add_argument("--password", help="requirepass/masterauth (or env HARNESS_PASSWORD)")
    s.add_argument("--user")
    s.add_argument("--user-password")
    s.add_argument("--protected-mode", action="store_true")
    s.add_argument("--node-timeout", type=int, default=2000, help="ms")
    s.add_argument("--base-port", type=int, help="try this first port, else a random free one")
    s.add_argument("--dir", required=True)
    s.add_argument("--timeout", type=float, default=30.0)
    for name in ("stop", "status"):
        x = sub.add_parser(name)
        x.add_argument("--dir", required=True)
    x = sub.add_parser("restart", help="start a recorded node again after it was killed")
    x.add_argument("--dir", required=True)
    x.add_argument("--port", type=int, required=True)
    a = p.parse_args(argv)

    if a.cmd == "start":
        if os.path.exists(os.path.join(a.dir, STATE_FILE)):
            print(f"error: {a.dir} already holds a cluster; run: stop --dir {a.dir}",
                  file=sys.stderr)
            return 1
        c = Cluster(a.masters, a.replicas, a.hosts, same_host_replicas=a.same_host_replicas,
                    password=a.password or os.environ.get("HARNESS_PASSWORD"), user=a.user,
                    user_password=a.user_password, protected_mode=a.protected_mode,
                    node_timeout=a.node_timeout, spares=a.spares, base_port=a.base_port,
                    dir=a.dir, daemon=True, timeout=a.timeout)
        try:
            c.start()
        except (HarnessError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(c.state(), indent=2))
        return 0
    if a.cmd == "status":
        try:
            with open(os.path.join(a.dir, STATE_FILE)) as f:
                state = json.load(f)
        except OSError as exc:
            print(f"error: no cluster in {a.dir}: {exc.strerror}", file=sys.stderr)
            return 1
        for n in state["nodes"]:
            n["alive"] = bool(n["pid"]) and _pid_alive(n["pid"]) and _pid_is(n["pid"], n["port"])
        print(json.dumps(state, indent=2))
        return 0
    if a.cmd == "restart":
        try:
            entry = restart_in_dir(a.dir, a.port)
        except (OSError, HarnessError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(entry))
        return 0
    if a.cmd == "stop":
        if not os.path.exists(os.path.join(a.dir, STATE_FILE)):
            print(f"error: no cluster recorded in {a.dir}", file=sys.stderr)
            return 1
        pids = stop_dir(a.dir)
        print(json.dumps({"stopped": pids}))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(_main())
