#!/usr/bin/python3
"""redis-warden audit on real redis-server clusters: auth off, wrong masterauth, different
passwords, dangerous ACL rights, config drift, CONFIG renamed away, protected mode seen from
a network namespace, and the password never shown."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from common import (EXIT_CRITICAL, EXIT_OK, EXIT_WARNING, WARDEN_BIN, Cluster,
                    WardenTestCase, run_warden, wait_until)

ADMIN_PASSWORD = "admin-Pw-9Qx7"
DEFAULT_PASSWORD = "default-Pw-4Kd2"


def audit_json(test: WardenTestCase, c: Cluster, *extra: str, seed: str = ""):
    run = run_warden("audit", "--seed", seed or c.seeds()[0], "--json", *c.cli_args(), *extra,
                     env=c.cli_env())
    test.assertNoCrash(run)
    for secret in (ADMIN_PASSWORD, DEFAULT_PASSWORD, "wrong-Pw-0"):
        test.assertNotIn(secret, run.out + run.err, "a password appeared in the output")
    return run, run.json()


def by_code(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == code]


class OpenCluster(WardenTestCase):
    def test_no_password_is_auth_disabled_and_default_user_exposed(self):
        with Cluster(masters=3, replicas=1) as c:
            run, report = audit_json(self, c)
            self.assertExit(run, EXIT_CRITICAL)
            disabled = by_code(report, "auth_disabled")
            self.assertEqual(len(disabled), 1)
            self.assertEqual(len(disabled[0]["nodes"]), 6)
            self.assertIn("CONFIG SET requirepass", disabled[0]["remediation"])
            self.assertTrue(by_code(report, "dangerous_commands_exposed"))
            text = run_warden("audit", "--seed", c.seeds()[0])
            self.assertIn("fix: on every node: CONFIG SET requirepass", text.out)


class AdminUserCluster(WardenTestCase):
    """Warden connects as an admin ACL user; the default user has its own password."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = Cluster(masters=3, replicas=1, hosts=3, user="admin",
                        user_password=ADMIN_PASSWORD, password=DEFAULT_PASSWORD).start()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def test_a_locked_down_cluster_has_only_the_default_users_rights_to_report(self):
        run, report = audit_json(self, self.c, "--client-user", "nobody-yet")
        self.assertExit(run, EXIT_OK)
        self.assertEqual(report["findings"], [], report)
        self.assertEqual({n["redis_version"][:2] for n in report["nodes"]}, {"7."})

    def test_acl_user_with_all_rights_is_exposed_and_one_without_dangerous_is_not(self):
        for n in self.c.members():
            r = self.c.redis(n)
            r.execute_command("ACL", "SETUSER", "app", "on", ">app-Pw-1", "~*", "&*", "+@all")
            r.execute_command("ACL", "SETUSER", "safe", "on", ">safe-Pw-2", "~*", "&*", "+@all",
                              "-@dangerous")
        try:
            run, report = audit_json(self, self.c, "--client-user", "app",
                                     "--client-user", "safe")
            exposed = by_code(report, "dangerous_commands_exposed")
            self.assertEqual(len(exposed), 1, report)
            self.assertTrue(exposed[0]["message"].startswith("user 'app' can run"))
            self.assertIn("FLUSHALL", exposed[0]["message"])
            self.assertIn("ACL SETUSER app -@dangerous", exposed[0]["remediation"])
            self.assertExit(run, EXIT_WARNING)
        finally:
            for n in self.c.members():
                self.c.redis(n).execute_command("ACL", "DELUSER", "app", "safe")

    def test_different_default_passwords_are_auth_inconsistent(self):
        odd = self.c.masters()[2]
        self.c.redis(odd).config_set("requirepass", "wrong-Pw-0")
        try:
            run, report = audit_json(self, self.c, "--client-user", "nobody-yet")
            found = by_code(report, "auth_inconsistent")
            self.assertEqual(len(found), 1, report)
            self.assertIn(odd.address, found[0]["message"])
            self.assertEqual(found[0]["severity"], "warning")
        finally:
            self.c.redis(odd).config_set("requirepass", DEFAULT_PASSWORD)

    def test_node_timeout_differing_on_one_node_is_config_inconsistent(self):
        odd = self.c.replicas()[1]
        self.c.redis(odd).config_set("cluster-node-timeout", "5000")
        try:
            run, report = audit_json(self, self.c, "--client-user", "nobody-yet")
            found = by_code(report, "config_inconsistent")
            self.assertEqual(len(found), 1, report)
            self.assertEqual(found[0]["nodes"], [odd.id])
            self.assertIn("5000 on " + odd.address, found[0]["message"])
            self.assertIn(f"on {odd.address}: CONFIG SET cluster-node-timeout 2000",
                          found[0]["remediation"])
        finally:
            self.c.redis(odd).config_set("cluster-node-timeout", "2000")


class PasswordCluster(WardenTestCase):
    def test_replica_without_the_masters_password_is_masterauth_mismatch(self):
        with Cluster(masters=3, replicas=1, hosts=3, password=DEFAULT_PASSWORD) as c:
            replica = c.replicas()[0]
            master = c.master_of(replica)
            r = c.redis(replica)
            r.config_set("masterauth", "wrong-Pw-0")
            r.execute_command("CLIENT", "KILL", "TYPE", "master")
            wait_until(lambda: c.info(replica)["master_link_status"] == "down", 15, "link down")
            run, report = audit_json(self, c)
            found = by_code(report, "masterauth_mismatch")
            self.assertEqual(len(found), 1, report)
            self.assertEqual(found[0]["nodes"], [replica.id, master.id])
            self.assertEqual(found[0]["severity"], "critical")
            self.assertIn("confirmed: master_link_status:down", found[0]["message"])
            self.assertExit(run, EXIT_CRITICAL)

    def test_config_renamed_away_is_unknown_for_that_node_not_a_crash(self):
        with Cluster(masters=3, replicas=1, password=DEFAULT_PASSWORD) as c:
            locked = c.replicas()[0]
            with open(locked.conf, "a") as f:
                f.write('rename-command CONFIG ""\n')
            c.restart(locked)
            c.wait_healthy()
            run, report = audit_json(self, c)
            node = next(n for n in report["nodes"] if n["address"] == locked.address)
            self.assertTrue(node["unknown"], report)
            self.assertIn("CONFIG GET", node["unknown"][0])
            incomplete = by_code(report, "audit_incomplete")
            self.assertEqual(len(incomplete), 1)
            self.assertEqual(incomplete[0]["severity"], "unknown")
            # The rest is still audited: default has every right, so a warning, not unknown.
            self.assertTrue(by_code(report, "dangerous_commands_exposed"))
            self.assertExit(run, EXIT_WARNING)


def can_make_namespaces() -> str:
    if os.geteuid() != 0:
        return "needs root"
    if shutil.which("ip") is None:
        return "no ip command (iproute2)"
    probe = subprocess.run(["ip", "netns", "add", f"wardenprobe{os.getpid()}"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return "ip netns add failed: " + probe.stderr.strip()
    subprocess.run(["ip", "netns", "delete", f"wardenprobe{os.getpid()}"], capture_output=True)
    return ""


class ProtectedMode(WardenTestCase):
    """A node with protected-mode yes and no password, listening on every interface: a client
    in a network namespace (veth pair, 10.250.0.0/30 used only between its two ends) gets
    DENIED; audit from that namespace reports protected_mode_blocks_clients with the fix."""

    def test_protected_mode_denies_a_client_from_another_address(self):
        why_not = can_make_namespaces()
        if why_not:
            self.skipTest(f"network namespaces unavailable here ({why_not}); "
                          "only this case is skipped")
        ns = f"warden{os.getpid()}"
        host_if, ns_if = f"wdh{os.getpid() % 10000}", f"wdn{os.getpid() % 10000}"
        tmp = tempfile.mkdtemp(prefix="warden-protected-")
        with Cluster(masters=3, replicas=0, protected_mode=True,
                     extra_config=["bind * -::*"], require_links_up=False) as c:
            try:
                subprocess.run(["ip", "netns", "add", ns], check=True)
                subprocess.run(["ip", "link", "add", host_if, "type", "veth", "peer", "name",
                                ns_if], check=True)
                subprocess.run(["ip", "link", "set", ns_if, "netns", ns], check=True)
                subprocess.run(["ip", "addr", "add", "10.250.0.1/30", "dev", host_if],
                               check=True)
                subprocess.run(["ip", "link", "set", host_if, "up"], check=True)
                subprocess.run(["ip", "netns", "exec", ns, "ip", "addr", "add", "10.250.0.2/30",
                                "dev", ns_if], check=True)
                subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up"],
                               check=True)
                subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"],
                               check=True)
                port = c.masters()[0].port
                cli = subprocess.run(["ip", "netns", "exec", ns, "redis-cli", "-h", "10.250.0.1",
                                      "-p", str(port), "PING"], capture_output=True, text=True,
                                     timeout=10)
                self.assertIn("DENIED", cli.stdout + cli.stderr)
                # From loopback the audit predicts it from the config...
                run, report = audit_json(self, c)
                found = by_code(report, "protected_mode_blocks_clients")
                self.assertEqual(len(found), 1, report)
                self.assertIn("protected-mode no", found[0]["remediation"])
                # ...and from the namespace warden sees the refusal itself.
                seen = subprocess.run(["ip", "netns", "exec", ns, WARDEN_BIN, "audit", "--seed",
                                       f"10.250.0.1:{port}", "--json"],
                                      capture_output=True, text=True, timeout=30)
                self.assertIn("protected mode refused", seen.stderr)
                self.assertEqual(seen.returncode, EXIT_CRITICAL, seen.stdout + seen.stderr)
                observed = json.loads(seen.stdout)
                found = by_code(observed, "protected_mode_blocks_clients")
                self.assertEqual(len(found), 1, observed)
                self.assertIn("got -DENIED", found[0]["message"])
            finally:
                subprocess.run(["ip", "link", "delete", host_if], capture_output=True)
                subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
