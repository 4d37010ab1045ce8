"""A real browser for the tests, with nothing but the stdlib: Debian's headless chromium,
driven over the Chrome DevTools Protocol through a minimal WebSocket client (RFC 6455: the
handshake, masked text frames out, text/continuation/ping/close frames in). CI has no npm
and no network but loopback, so no puppeteer or selenium.

    with Browser(profile_dir) as browser:
        page = browser.page()
        page.navigate("http://127.0.0.1:9736/")
        page.evaluate("document.title")

Every wait is bounded; the browser runs in its own process group, which close() kills by
its id (never by name), and the caller's profile directory is the only state it writes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import time
import urllib.parse
import urllib.request
from typing import Callable, Optional

CHROMIUM = os.environ.get("WARDEN_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-port=0"]
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class BrowserError(RuntimeError):
    pass


class WebSocket:
    """One client connection: send_text() and receive_text(), each bounded by a deadline."""

    def __init__(self, url: str, timeout: float = 10.0):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        # No Origin header: chromium refuses DevTools connections from a web origin.
        request = (f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        self.buffer = b""
        head = self._read_until(b"\r\n\r\n", time.monotonic() + timeout).decode("latin-1")
        expected = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest())
        if not head.startswith("HTTP/1.1 101") or expected.decode() not in head:
            raise BrowserError(f"WebSocket handshake refused: {head.splitlines()[:1]}")

    def _read_until(self, marker: bytes, deadline: float) -> bytes:
        while marker not in self.buffer:
            self._fill(deadline)
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exactly(self, count: int, deadline: float) -> bytes:
        while len(self.buffer) < count:
            self._fill(deadline)
        out, self.buffer = self.buffer[:count], self.buffer[count:]
        return out

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no WebSocket data before the deadline")
        self.sock.settimeout(left)
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise BrowserError("the browser closed the DevTools connection")
        self.buffer += chunk

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        mask = os.urandom(4)  # a client masks every frame (RFC 6455 5.3)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def receive_text(self, deadline: float) -> str:
        """The next whole text message; answers pings on the way."""
        message = b""
        while True:
            first, second = self._read_exactly(2, deadline)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read_exactly(2, deadline))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read_exactly(8, deadline))[0]
            mask = self._read_exactly(4, deadline) if second & 0x80 else b""
            payload = self._read_exactly(length, deadline)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise BrowserError("the browser closed the DevTools connection")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:
                    return message.decode()

    def close(self) -> None:
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class Page:
    """One DevTools session on a page target: commands and the events seen meanwhile."""

    def __init__(self, websocket_url: str):
        self.ws = WebSocket(websocket_url)
        self.next_id = 0
        self.events: list[dict] = []
        self.responses: dict[int, dict] = {}
        # event method -> callback(params), called as the event arrives (it may call()).
        self.handlers: dict[str, Callable[[dict], None]] = {}

    def _pump(self, deadline: float) -> None:
        """Reads one message: a command's answer is kept for it, an event recorded."""
        message = json.loads(self.ws.receive_text(deadline))
        if "id" in message:
            self.responses[message["id"]] = message
        elif "method" in message:
            self.events.append(message)
            handler = self.handlers.get(message["method"])
            if handler:
                handler(message.get("params", {}))

    def call(self, method: str, params: Optional[dict] = None, timeout: float = 15.0) -> dict:
        self.next_id += 1
        ident = self.next_id
        self.ws.send_text(json.dumps({"id": ident, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while ident not in self.responses:
            self._pump(deadline)
        message = self.responses.pop(ident)
        if "error" in message:
            raise BrowserError(f"{method}: {message['error']}")
        return message.get("result", {})

    def wait_event(self, method: str, timeout: float,
                   matches: Callable[[dict], bool] = lambda params: True) -> dict:
        """The first event `method` (seen already or arriving within timeout) that matches."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event["method"] == method and matches(event.get("params", {})):
                    return event["params"]
            seen = len(self.events)
            try:
                self._pump(deadline)
            except TimeoutError:
                raise BrowserError(f"no {method} within {timeout:.1f}s") from None

    def idle(self, seconds: float) -> None:
        """Lets events arrive (and their handlers run) for `seconds`."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._pump(deadline)
        except TimeoutError:
            pass

    def navigate(self, url: str, timeout: float = 15.0) -> None:
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        result = self.call("Page.navigate", {"url": url}, timeout)
        if result.get("errorText"):
            raise BrowserError(f"navigating to {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str, timeout: float = 10.0):
        """The value of a JavaScript expression in the page (returnByValue)."""
        result = self.call("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True}, timeout)
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def outer_html(self) -> str:
        """The document as it is now, read through the DOM domain (works with scripts off)."""
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        return self.call("DOM.getOuterHTML", {"nodeId": root})["outerHTML"]

    def screenshot(self, path: str) -> str:
        data = self.call("Page.captureScreenshot", {"format": "png"}, 30)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.ws.close()


class Browser:
    """Headless chromium with its own profile in `profile_dir` (which the caller removes)."""

    def __init__(self, profile_dir: str, start_timeout: float = 30.0):
        self.profile_dir = profile_dir
        self.log = open(os.path.join(profile_dir, "chromium.log"), "w+")
        # TMPDIR: chromium's own temporary files land in the profile too, removed with it.
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, TMPDIR=profile_dir))
        self.pages: list[Page] = []
        try:
            self.port = self._devtools_port(start_timeout)
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, timeout: float) -> int:
        # Chromium writes the port it bound (and the browser target's path) once it listens.
        active = os.path.join(self.profile_dir, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError(f"chromium exited with {self.proc.returncode}: {self.log_text()}")
            try:
                with open(active) as f:
                    lines = f.read().split("\n")
                if lines and lines[0].strip().isdigit() and len(lines) > 1:
                    return int(lines[0])
            except FileNotFoundError:
                pass
            time.sleep(0.1)
        raise BrowserError(f"chromium wrote no DevToolsActivePort within {timeout}s: "
                           f"{self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-3000:]

    def page(self) -> Page:
        """A session on the page chromium opened at start."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            targets = json.load(r)
        for target in targets:
            if target.get("type") == "page":
                page = Page(target["webSocketDebuggerUrl"])
                self.pages.append(page)
                return page
        raise BrowserError(f"no page target among {targets}")

    def close(self) -> None:
        """Asks chromium to quit, then kills its process group (by id) if it has not."""
        for page in self.pages:
            try:
                page.call("Browser.close", timeout=5)
            except (OSError, BrowserError):
                pass  # closing answers by closing the connection
            page.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own group: renderers too
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        finally:
            self.log.close()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
