#!/usr/bin/python3
"""Events with coordination (issue 19): two instances with `heal.mode: heal` (so both
campaign for the cluster's lease) against Debian's etcd on loopback, each with an exec hook
writing to its own file. A master orphaned (its replica SIGKILLed) is a finding_raised
orphaned_master that both instances see in GET /events, but only the leader's hook gets."""

from __future__ import annotations

import json
import os
import time
import unittest

from common import wait_until
from test_coordination import POLL_S, CoordinationBase
from test_daemon import metric


def orphan_events(lines: list[dict]) -> list[dict]:
    return [e for e in lines
            if e["type"] == "finding_raised" and e["details"].get("code") == "orphaned_master"]


class NotifyWithCoordinationTest(CoordinationBase):
    def hook_events(self, instance) -> list[dict]:
        """The events the instance's hook received (it writes to its STATE_DIRECTORY)."""
        path = os.path.join(instance.dir, "hook.out")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def journal(self, instance) -> list[dict]:
        status, body = instance.get("/events")
        self.assertEqual(status, 200, body)
        return json.loads(body)["events"]

    def test_only_the_leader_notifies_for_its_cluster(self):
        hook = os.path.join(self.tmp, "hook.sh")
        with open(hook, "w") as f:
            # Each instance's STATE_DIRECTORY is its own directory (test_daemon.Daemon).
            f.write('#!/bin/sh\nprintf "%s\\n" "$WARDEN_EVENT" >> "$STATE_DIRECTORY/hook.out"\n')
        os.chmod(hook, 0o755)
        notify = (f"notify:\n  - {{exec: {hook}, name: record, "
                  f"events: [finding_raised, finding_cleared]}}\n")
        everyone = self.instances(2, top=notify)
        leader = self.one_leader(everyone)
        follower = next(w for w in everyone if w is not leader)

        b = self.orphan_b()
        # Both see the orphan (their own journals have it); only the leader's hook gets it.
        for w in everyone:
            wait_until(lambda w=w: orphan_events(self.journal(w)), 15,
                       f"orphaned_master in /events of instance on port {w.port}")
        wait_until(lambda: orphan_events(self.hook_events(leader)), 10,
                   "the leader's hook receiving the orphan")
        time.sleep(5 * POLL_S)  # the follower's delivery, were there one, has had its time
        [delivered] = orphan_events(self.hook_events(leader))
        self.assertEqual(delivered["cluster"], "main")
        self.assertIn(b.id, delivered["nodes"])
        self.assertEqual(orphan_events(self.hook_events(follower)), [])
        self.assertEqual(orphan_events(self.journal(follower))[0]["details"]["code"],
                         "orphaned_master")
        self.assertGreaterEqual(metric(leader.metrics(), "redis_warden_notifications_total",
                                       cluster="main", sink="record", outcome="sent")[0], 1)
        # The follower is not the leader all along (no lost lease made it notify).
        self.assertEqual(follower.leader(), 0.0)
        self.assertEqual(leader.leader(), 1.0)


if __name__ == "__main__":
    unittest.main()
