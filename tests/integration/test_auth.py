#!/usr/bin/python3
"""Integration tests of `redis-warden check` against password and ACL clusters.

Run: WARDEN_BIN=build/redis-warden /usr/bin/python3 tests/integration/test_auth.py [-v]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from common import (EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN, Cluster, WardenTestCase,
                    check_args, finding_nodes, findings, node_by_id, run_warden,
                    summary, wait_until, write_secret)

NODE_TIMEOUT_MS = 2000
PASSWORD = "Zq8-right-pass-7Hx"
WRONG = "Wr0ng-pass-Kj5"
AUTH_WORDS = re.compile(r"auth|password|WRONGPASS|NOAUTH|credential", re.I)


def env_without_auth() -> dict:
    env = dict(os.environ)
    env.pop("REDISCLI_AUTH", None)
    return env


class PasswordCluster(WardenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="warden-auth-")
        cls.right = write_secret(PASSWORD, cls.tmp)
        cls.wrong = write_secret(WRONG, cls.tmp)
        cls.c = Cluster(masters=3, replicas=1, hosts=3, password=PASSWORD,
                        node_timeout=NODE_TIMEOUT_MS)
        cls.c.start()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertNoSecret(self, run):
        for secret in (PASSWORD, WRONG):
            self.assertNotIn(secret, run.out + run.err, f"password text printed\n{run.describe()}")

    def test_right_password_file(self):
        run = run_warden(*check_args(self.c), "--json", "--password-file", self.right,
                         env=env_without_auth())
        self.assertExit(run, EXIT_OK)
        rep = run.json()
        self.assertEqual(rep["status"], "ok", summary(rep))
        self.assertEqual(rep["findings"], [], summary(rep))
        self.assertEqual(len(rep["nodes"]), 6)
        self.assertTrue(all(n["reachable"] for n in rep["nodes"]))
        self.assertNoSecret(run)

    def test_right_password_env(self):
        env = env_without_auth()
        env["REDISCLI_AUTH"] = PASSWORD
        for fmt in ("json", "text", "nagios"):
            with self.subTest(fmt=fmt):
                run = run_warden(*check_args(self.c), "--format", fmt, env=env)
                self.assertExit(run, EXIT_OK)
                self.assertNoSecret(run)
                if fmt == "json":
                    self.assertEqual(run.json()["status"], "ok")

    def test_wrong_password(self):
        env = env_without_auth()
        cases = {"file": (["--password-file", self.wrong], env),
                 "env": ([], dict(env, REDISCLI_AUTH=WRONG))}
        for name, (extra, e) in cases.items():
            for fmt in ("text", "json"):
                with self.subTest(source=name, fmt=fmt):
                    run = run_warden(*check_args(self.c), "--format", fmt, *extra, env=e)
                    self.assertNoCrash(run)
                    self.assertExit(run, EXIT_UNKNOWN)
                    self.assertRegex(run.out + run.err, AUTH_WORDS)
                    self.assertNoSecret(run)

    def test_no_password(self):
        run = run_warden(*check_args(self.c), env=env_without_auth())
        self.assertNoCrash(run)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertRegex(run.out + run.err, AUTH_WORDS)

    def test_missing_password_file(self):
        run = run_warden(*check_args(self.c), "--password-file",
                         os.path.join(self.tmp, "no-such-file"), env=env_without_auth())
        self.assertNoCrash(run)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertIn("no-such-file", run.out + run.err)

    def test_masterauth_mismatch_link_down(self):
        """A replica that can no longer authenticate to its master: CLUSTER NODES and
        `redis-cli --cluster check` still say all is well, warden must not."""
        replica = self.c.replicas()[0]
        master = self.c.master_of(replica)
        rr = self.c.redis(replica)
        rr.config_set("masterauth", WRONG)
        try:
            rr.execute_command("CLIENT", "KILL", "TYPE", "master")
            wait_until(lambda: self.c.info(replica)["master_link_status"] == "down", 15,
                       "replica link to go down after masterauth change")
            # the point of the test: redis-cli's own check sees nothing wrong
            cli = subprocess.run(["redis-cli", "--cluster", "check", master.address],
                                 env=self.c.cli_env(), capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(cli.returncode, 0, cli.stdout + cli.stderr)
            self.assertIn("[OK] All 16384 slots covered", cli.stdout)
            self.assertNotIn("[ERR]", cli.stdout)

            env = self.c.cli_env()
            run = run_warden(*check_args(self.c), "--json", env=env)
            self.assertNoCrash(run)
            rep = run.json()
            self.assertIn(replica.id, finding_nodes(rep, "replica_link_down"), summary(rep))
            for f in findings(rep, "replica_link_down"):
                self.assertEqual(f["severity"], "critical")
            self.assertIn(master.id, finding_nodes(rep, "orphaned_master"), summary(rep))
            self.assertEqual(finding_nodes(rep, "orphaned_master"), {master.id}, summary(rep))
            rn = node_by_id(rep, replica.id)
            self.assertTrue(rn["reachable"])
            self.assertEqual(rep["status"], "critical")
            self.assertExit(run, EXIT_CRITICAL)
            self.assertNoSecret(run)
        finally:
            rr.config_set("masterauth", PASSWORD)
            rr.execute_command("CLIENT", "KILL", "TYPE", "master")
            self.c.wait_healthy()
        run = run_warden(*check_args(self.c), "--json", env=self.c.cli_env())
        self.assertExit(run, EXIT_OK)


class AclUserCluster(WardenTestCase):
    """An ACL user (the default user is off); replication runs as that user too."""
    USER = "warden"
    USER_PASSWORD = "acl-Pw-3Lm9"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="warden-acl-")
        cls.pwfile = write_secret(cls.USER_PASSWORD, cls.tmp)
        cls.c = Cluster(masters=3, replicas=1, hosts=3, user=cls.USER,
                        user_password=cls.USER_PASSWORD, node_timeout=NODE_TIMEOUT_MS)
        cls.c.start()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_user_and_password_file(self):
        run = run_warden(*check_args(self.c), "--json", "--user", self.USER,
                         "--password-file", self.pwfile, env=env_without_auth())
        self.assertExit(run, EXIT_OK)
        rep = run.json()
        self.assertEqual(rep["status"], "ok", summary(rep))
        self.assertEqual(len(rep["nodes"]), 6)
        self.assertNotIn(self.USER_PASSWORD, run.out + run.err)

    def test_user_and_env_password(self):
        env = dict(env_without_auth(), REDISCLI_AUTH=self.USER_PASSWORD)
        run = run_warden(*check_args(self.c), "--json", "--user", self.USER, env=env)
        self.assertExit(run, EXIT_OK)

    def test_password_without_user_fails(self):
        # the default user is off: the same password without the user name must not work
        run = run_warden(*check_args(self.c), "--password-file", self.pwfile,
                         env=env_without_auth())
        self.assertNoCrash(run)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertRegex(run.out + run.err, AUTH_WORDS)
        self.assertNotIn(self.USER_PASSWORD, run.out + run.err)

    def test_wrong_user(self):
        run = run_warden(*check_args(self.c), "--user", "nobody", "--password-file",
                         self.pwfile, env=env_without_auth())
        self.assertNoCrash(run)
        self.assertExit(run, EXIT_UNKNOWN)
        self.assertRegex(run.out + run.err, AUTH_WORDS)
        self.assertNotIn(self.USER_PASSWORD, run.out + run.err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
