#!/usr/bin/python3
"""The on-call page (GET /) in a real browser: headless chromium, driven over the DevTools
protocol (tests/harness/browser.py), against `redis-warden run` watching a real 3x1 cluster.

Screenshots of the healthy and the broken state are saved as PNG into $WARDEN_ARTIFACT_DIR
(default: a new temporary directory, kept); the test prints their paths."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from common import Cluster, wait_until
from test_daemon import Daemon

import browser  # tests/harness, on the path through common

POLL_MS = 500
NODE_TIMEOUT_MS = 2000
DESKTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
NO_SCRIPT_NOTE = "The last poll as the daemon rendered it"


def artifact_dir() -> str:
    directory = os.environ.get("WARDEN_ARTIFACT_DIR") or tempfile.mkdtemp(
        prefix="warden-page-artifacts-")
    os.makedirs(directory, exist_ok=True)
    return directory


class PageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.artifacts = artifact_dir()
        cls.cluster = Cluster(masters=3, replicas=1, hosts=3, node_timeout=NODE_TIMEOUT_MS).start()
        cls.addClassCleanup(cls.cluster.stop)
        cls.tmp = tempfile.TemporaryDirectory(prefix="warden-page-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.daemon = Daemon(f"clusters:\n  - name: main\n    seeds: [{cls.cluster.seeds()[0]}]\n"
                            f"    poll_interval: {POLL_MS}ms\n    timeout: 300ms\n", cls.tmp.name)
        cls.addClassCleanup(cls.daemon.stop)
        wait_until(lambda: cls._status().get("status") == "ok"
                   and len(cls._status().get("nodes", [])) == 6, 20, "a first poll of 6 nodes")
        cls.profile = tempfile.mkdtemp(prefix="warden-chromium-")
        cls.addClassCleanup(shutil.rmtree, cls.profile, ignore_errors=True)
        cls.browser = browser.Browser(cls.profile)
        cls.addClassCleanup(cls.browser.close)  # runs before the profile is removed
        cls.page = cls.browser.page()
        for domain in ("Page", "Runtime", "Log", "DOM"):
            cls.page.call(f"{domain}.enable")
        cls.page.call("Emulation.setDeviceMetricsOverride", DESKTOP)
        cls.events_status = cls.daemon_get("/events?since=0")[0]

    @classmethod
    def _status(cls) -> dict:
        status, body = cls.daemon.get("/status")
        return json.loads(body)["clusters"][0] if status == 200 else {}

    @classmethod
    def daemon_get(cls, path: str, method: str = "GET"):
        request = urllib.request.Request(cls.daemon.url(path), method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def problems(self) -> list[str]:
        """Console errors and exceptions the page caused so far. A 404 of /events is expected
        (and the page says so) while this daemon has no /events."""
        found = []
        for event in self.page.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                entry = params["entry"]
                if (self.events_status == 404 and entry.get("source") == "network"
                        and "/events?since=" in entry.get("url", "") and "404" in entry["text"]):
                    continue
                found.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
        return found

    def shot(self, name: str) -> str:
        path = self.page.screenshot(os.path.join(self.artifacts, name))
        print(f"screenshot: {path}")
        return path

    def dom_addresses(self) -> set:
        return set(self.page.evaluate(
            "Array.from(document.querySelectorAll('[data-address]'), e => e.dataset.address)"))

    def node_state(self, address: str) -> str:
        return self.page.evaluate(
            f"(document.querySelector('[data-address=\"{address}\"]') || {{dataset: {{}}}})"
            ".dataset.state || ''")

    def test_1_the_page_is_html_with_strict_headers_and_under_100_kb(self):
        status, headers, body = self.daemon_get("/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        policy = headers["Content-Security-Policy"]
        self.assertIn("default-src 'none'", policy)
        self.assertIn("script-src 'sha256-", policy)
        self.assertNotIn("unsafe", policy)
        self.assertLess(len(body), 100 * 1024)
        print(f"GET / of a 3x1 cluster: {len(body)} bytes")
        text = body.decode()
        for node in self.cluster.members():
            self.assertIn(f'data-address="{node.address}"', text)
        status, _, part = self.daemon_get("/?part=clusters")
        self.assertEqual(status, 200)
        self.assertTrue(part.startswith(b'<main id="clusters" data-refresh-ms="250"'), part[:100])
        status, _, head = self.daemon_get("/", "HEAD")
        self.assertEqual((status, head), (200, b""))
        self.assertEqual(self.daemon_get("/", "POST")[0], 405)

    def test_2_the_page_shows_every_node_and_the_status_and_updates_itself(self):
        self.page.navigate(self.daemon.url("/"))
        self.assertEqual(self.page.evaluate("document.querySelector('section.cluster').dataset.status"),
                         "ok")
        self.assertTrue(self.page.evaluate("document.title").startswith("OK"))
        addresses = {node.address for node in self.cluster.members()}
        self.assertLessEqual(addresses, self.dom_addresses())
        wait_until(lambda: self.page.evaluate(
            "document.getElementById('updated').textContent").startswith("live, updated"),
            5, "the page's first refresh")
        note = "Events are not available" if self.events_status == 404 else "No events yet"
        wait_until(lambda: note in self.page.evaluate(
            "document.getElementById('events-note').textContent") or
            self.events_status != 404 and "Newest first" in self.page.evaluate(
                "document.getElementById('events-note').textContent"), 5, "the events note")
        self.shot("page-healthy-1280x800.png")
        self.page.call("Emulation.setDeviceMetricsOverride", PHONE)
        try:
            width = self.page.evaluate("document.documentElement.scrollWidth")
            self.assertLessEqual(width, PHONE["width"], "the page scrolls sideways on a phone")
            self.shot("page-healthy-phone.png")
        finally:
            self.page.call("Emulation.setDeviceMetricsOverride", DESKTOP)
        self.assertEqual(self.problems(), [])

    def test_3_a_killed_replica_shows_its_master_orphaned_within_two_polls_without_reload(self):
        self.page.evaluate("window.wardenSamePage = 'yes'")
        master = self.cluster.masters()[0]
        replica = self.cluster.replicas_of(master)[0]
        self.assertEqual(self.node_state(master.address), "ok")
        started = time.monotonic()
        self.cluster.kill(replica, signal.SIGKILL)
        wait_until(lambda: "orphaned" in self.node_state(master.address).split(), 10,
                   f"{master.address} shown orphaned", interval=0.05)
        elapsed = time.monotonic() - started
        print(f"the page showed {master.address} orphaned {elapsed:.2f} s after SIGKILL "
              f"(poll interval {POLL_MS} ms)")
        self.assertLessEqual(elapsed, 2 * POLL_MS / 1000)
        self.assertEqual(self.page.evaluate("window.wardenSamePage"), "yes", "the page reloaded")
        self.assertIn("unreachable", self.node_state(replica.address).split())
        self.assertEqual(self.page.evaluate("document.querySelector('section.cluster').dataset.status"),
                         "critical")
        text = self.page.evaluate("document.body.innerText")
        self.assertIn("ORPHANED", text)
        self.assertIn("UNREACHABLE", text)
        self.shot("page-replica-killed-1280x800.png")
        self.assertEqual(self.problems(), [])

    def test_4_with_javascript_off_the_page_still_shows_the_nodes_and_status(self):
        self.page.call("Emulation.setScriptExecutionDisabled", {"value": True})
        try:
            self.page.navigate(self.daemon.url("/"))
            html = self.page.outer_html()
        finally:
            self.page.call("Emulation.setScriptExecutionDisabled", {"value": False})
        self.assertIn(NO_SCRIPT_NOTE, html)  # the script did not run
        for node in self.cluster.members():
            self.assertIn(f'data-address="{node.address}"', html)
        self.assertIn('data-status="critical"', html)
        master = self.cluster.masters()[0]
        self.assertIn(f'data-address="{master.address}" data-state="orphaned"', html)
        self.assertEqual(self.problems(), [])

    def test_5_events_are_listed_newest_first_as_text_and_asked_for_after_the_last_id(self):
        # /events answered by the browser itself (DevTools Fetch interception), in the form
        # the daemon's /events has: this daemon may not serve it yet.
        events = [{"id": 1, "time": "2026-12-03T07:41:02.123Z", "cluster": "main",
                   "type": "failover", "severity": "warning", "nodes": ["abc"],
                   "message": "first", "details": {}},
                  {"id": 2, "time": "2026-12-03T07:41:03.000Z", "cluster": "main",
                   "type": "heal", "severity": "info", "nodes": [],
                   "message": "<img src=x onerror=window.wardenOwned=1>", "details": {}}]
        asked = []

        def answer(params):
            url = params["request"]["url"]
            asked.append(url)
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            since = int(query.get("since", ["0"])[0])
            body = json.dumps({"events": [e for e in events if e["id"] > since]}).encode()
            try:
                self.page.call("Fetch.fulfillRequest", {
                    "requestId": params["requestId"], "responseCode": 200,
                    "responseHeaders": [{"name": "Content-Type", "value": "application/json"}],
                    "body": base64.b64encode(body).decode()})
            except browser.BrowserError:
                pass  # interception ended meanwhile

        self.page.handlers["Fetch.requestPaused"] = answer
        self.page.call("Fetch.enable", {"patterns": [{"urlPattern": "*/events?since=*"}]})
        try:
            self.page.navigate(self.daemon.url("/"))
            wait_until(lambda: self.page.evaluate(
                "document.querySelectorAll('#event-list li').length") == 2, 5, "two events")
            wait_until(lambda: self.page.idle(0.05) or any(
                url.endswith("/events?since=2") for url in asked), 5,
                "a request for the events after id 2")
        finally:
            self.page.call("Fetch.disable")
            self.page.handlers.pop("Fetch.requestPaused")
        items = self.page.evaluate(
            "Array.from(document.querySelectorAll('#event-list li'), li => li.textContent)")
        self.assertIn("INFO main · heal: <img src=x onerror=window.wardenOwned=1>", items[0])
        self.assertEqual(items[1], "2026-12-03T07:41:02.123Z WARNING main · failover: first")
        self.assertTrue(self.page.evaluate("document.querySelector('#event-list img') === null"))
        self.assertEqual(self.page.evaluate("typeof window.wardenOwned"), "undefined")
        self.assertTrue(asked[0].endswith("/events?since=0"), asked)
        self.assertEqual(self.problems(), [])

    def test_6_a_selection_in_the_clusters_pauses_the_swap_until_it_is_cleared(self):
        self.page.navigate(self.daemon.url("/"))
        self.page.evaluate("""(() => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector('#clusters .addr'));
            window.getSelection().addRange(range);
            document.getElementById('clusters').wardenMark = 'kept';
        })()""")
        wait_until(lambda: self.page.evaluate(
            "document.getElementById('updated').textContent") ==
            "paused while text is selected", 5, "the refresh paused")
        self.assertEqual(self.page.evaluate("document.getElementById('clusters').wardenMark"),
                         "kept")
        self.assertNotEqual(self.page.evaluate("window.getSelection().toString()"), "")
        self.page.evaluate("window.getSelection().removeAllRanges()")
        wait_until(lambda: self.page.evaluate(
            "document.getElementById('clusters').wardenMark === undefined"), 5,
            "the clusters swapped again")
        self.assertEqual(self.problems(), [])


if __name__ == "__main__":
    unittest.main()
