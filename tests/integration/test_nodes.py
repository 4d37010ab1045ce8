#!/usr/bin/python3
"""redis-warden add-node and remove-node on real redis-server clusters over three hosts
(127.0.0.1-3), with a cluster client writing (WAIT 1) while slots move: nothing
acknowledged is lost."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from common import WARDEN_BIN, Cluster, WardenTestCase, harness, run_warden, wait_until
from test_heal import NO_NATIVE_MIGRATION, AckedWriter, link_up, role_of, shape


def listing(c: Cluster, node_id: str) -> list[str]:
    """The live members (other than the node itself) whose CLUSTER NODES lists node_id."""
    out = []
    for n in c.members():
        if n.id == node_id or not n.alive() or n.stopped:
            continue
        if any(v["id"] == node_id for v in harness.parse_cluster_nodes(c.cluster_nodes(n))):
            out.append(n.address)
    return out


def flagged_fail(c: Cluster, node) -> None:
    def seen():
        for n in c.members():
            if n is node or not n.alive():
                continue
            view = harness.parse_cluster_nodes(c.cluster_nodes(n))
            return any(v["id"] == node.id and "fail" in v["flags"] for v in view)
        return False
    wait_until(seen, 20, f"{node.address} flagged fail")


def every_view(c: Cluster) -> dict:
    """Each live member's CLUSTER NODES: who it lists, where, in what role, serving what."""
    return {n.address: sorted((v["id"], v["address"], v["role"], v["master_id"] or "-",
                               " ".join(v["slots"]))
                              for v in harness.parse_cluster_nodes(c.cluster_nodes(n)))
            for n in c.members() if n.alive() and not n.stopped}


def slots_of(c: Cluster, node_id: str) -> int:
    seed = next(n for n in c.members() if n.alive() and n.id != node_id)
    total = 0
    for v in harness.parse_cluster_nodes(c.cluster_nodes(seed)):
        if v["id"] != node_id:
            continue
        for part in v["slots"]:
            if part.startswith("["):
                continue
            first, _, last = part.partition("-")
            total += int(last or first) - int(first) + 1
    return total


class NodesTest(WardenTestCase):
    def cluster(self, **kw) -> Cluster:
        c = Cluster(hosts=3, node_timeout=2000, extra_config=NO_NATIVE_MIGRATION, **kw).start()
        self.addCleanup(c.stop)
        return c

    def warden(self, c: Cluster, command: str, *extra: str, limit: float = 90):
        seed = next(n.address for n in c.members() if n.alive() and not n.stopped)
        # The nodes first: --seed takes every value that follows it.
        run = run_warden(command, *extra, "--seed", seed, limit=limit)
        self.assertNoCrash(run)
        return run

    def configured(self, c: Cluster, seed: str = "") -> tuple[str, str]:
        """A config naming the cluster (state_dir in a temporary folder), and where the
        maintenance marker goes."""
        state = tempfile.mkdtemp(prefix="warden-nodes-")
        self.addCleanup(shutil.rmtree, state, True)
        config = os.path.join(state, "config.yaml")
        seed = seed or next(n.address for n in c.members() if n.alive() and not n.stopped)
        with open(config, "w") as f:
            f.write(f"state_dir: {state}\nclusters:\n  - name: main\n    seeds: [{seed}]\n")
        return config, os.path.join(state, "maintenance-main.json")

    def stopped_by_maintenance_off(self, config: str, marker: str, *command: str,
                                   meanwhile=None, off_after: float = 0.0):
        """Runs the command with --config; once its marker is there (it waits two polls,
        2 s, before its first step), `meanwhile()`, then `maintenance off` `off_after`
        seconds after the marker appeared: it must stop (at once: before acting)."""
        run = subprocess.Popen([WARDEN_BIN, *command, "--config", config, "--yes"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: run.poll() is None and run.kill())
        wait_until(lambda: os.path.exists(marker) or run.poll() is not None, 30,
                   "the operation's marker")
        appeared = time.monotonic()
        if meanwhile:
            meanwhile()
        time.sleep(max(0.0, appeared + off_after - time.monotonic()))
        off = run_warden("maintenance", "off", "--config", config, limit=30)
        self.assertExit(off, 0)
        out, err = run.communicate(timeout=90)
        self.assertEqual(run.returncode, 1, out + err)
        self.assertIn("was removed or replaced (maintenance off?)", err)
        return out, err

    def test_add_replicas_where_needed_and_two_masters_with_their_share(self):
        c = self.cluster(masters=3, replicas=1, spares=8)
        a, b, _ = c.masters()
        spares = c.spares()
        on_b_host = next(s for s in spares if s.host == b.host)
        elsewhere = next(s for s in spares if s.host not in (b.host, on_b_host.host))
        rest = [s for s in spares if s not in (on_b_host, elsewhere)]
        with_keys, foreign, new_master, locked, named_spare, third = rest
        dead = c.replicas_of(b)[0]
        c.kill(dead)
        flagged_fail(c, dead)  # b is orphaned now

        before = shape(c)
        dry = self.warden(c, "add-node", on_b_host.address, elsewhere.address, "--dry-run")
        self.assertExit(dry, 0)
        self.assertIn("2 node(s) to add", dry.out)
        time.sleep(0.5)
        self.assertEqual(shape(c), before, "--dry-run changed the cluster")

        # Refusals, each named: keys, another cluster, a member, other credentials.
        # A key left behind: served for a moment, then the slot given up again.
        stray = c.redis(with_keys)
        slot = stray.execute_command("CLUSTER", "KEYSLOT", "stray")
        stray.config_set("cluster-require-full-coverage", "no")
        stray.execute_command("CLUSTER", "ADDSLOTS", slot)
        wait_until(lambda: stray.set("stray", "1"), 10, "the key written")
        stray.execute_command("CLUSTER", "DELSLOTS", slot)
        stray.config_set("cluster-require-full-coverage", "yes")
        c.redis(foreign).execute_command("CLUSTER", "MEET", new_master.host, new_master.port)
        wait_until(lambda: len(harness.parse_cluster_nodes(c.cluster_nodes(foreign))) == 2, 10,
                   "the foreign pair met")
        c.redis(locked).config_set("requirepass", "not-the-clusters")
        refused = self.warden(c, "add-node", with_keys.address, foreign.address, a.address,
                              locked.address, "--yes")
        self.assertExit(refused, 1)
        self.assertIn(f"{with_keys.address}: holds 1 key(s)", refused.err)
        self.assertIn(f"{foreign.address}: already knows 1 other node(s)", refused.err)
        self.assertIn("belongs to another cluster", refused.err)
        self.assertIn(f"{a.address}: is already a member of this cluster", refused.err)
        self.assertIn(f"{locked.address}: does not accept the cluster's credentials", refused.err)
        self.assertEqual(shape(c), before)

        # A plain redis-server (cluster-enabled no) is refused on a real server too.
        plain = harness.Standalone().start()
        self.addCleanup(plain.stop)
        views = every_view(c)
        disabled = self.warden(c, "add-node", plain.address, "--yes")
        self.assertExit(disabled, 1)
        self.assertIn(f"{plain.address}: is not cluster-enabled", disabled.err)
        self.assertIn("cluster support disabled", disabled.err)
        self.assertEqual(every_view(c), views, "a refused add-node changed CLUSTER NODES")

        named = self.warden(c, "add-node", elsewhere.address, "--master", a.id[:8], "--dry-run")
        self.assertExit(named, 0)
        self.assertIn(f"{elsewhere.address} joins as a replica of {a.address}", named.out)

        # `maintenance off` while add-node holds the marker: it stops before its first step.
        config, marker = self.configured(c)
        _, err = self.stopped_by_maintenance_off(config, marker, "add-node", on_b_host.address,
                                                 elsewhere.address)
        self.assertIn("stopped before the CLUSTER MEET (nothing done)", err)
        time.sleep(0.5)
        self.assertEqual(shape(c), before, "a stopped add-node changed the cluster")

        # Two replicas: the one on another host than b covers b.
        run = self.warden(c, "add-node", on_b_host.address, elsewhere.address, "--yes")
        self.assertExit(run, 0)
        self.assertIn("success: 2 node(s) added", run.out)
        self.assertEqual(role_of(c, elsewhere), ("replica", b.id), run.describe())
        self.assertTrue(link_up(c, elsewhere))
        role, master = role_of(c, on_b_host)
        self.assertEqual(role, "replica")
        self.assertNotEqual(master, b.id, run.describe())
        self.assertTrue(link_up(c, on_b_host))

        # --master places the replica under the named master, even where the planner would
        # have chosen another; a replica or an unknown node is not a master.
        planned = self.warden(c, "add-node", named_spare.address, "--dry-run")
        self.assertExit(planned, 0)
        chosen = next(m for m in c.masters() if f"replica of {m.address}" in planned.out)
        other = next(m for m in c.masters() if m is not chosen)
        for wrong, why in ((c.replicas_of(a)[0].address, "is not a master"),
                           ("127.0.0.1:1", "--master:")):
            refused = self.warden(c, "add-node", named_spare.address, "--master", wrong, "--yes")
            self.assertExit(refused, 2)
            self.assertIn(why, refused.err)
        self.assertEqual(role_of(c, named_spare)[0], "master", "a refused add-node acted")
        placed = self.warden(c, "add-node", named_spare.address, "--master", other.id[:8],
                             "--yes")
        self.assertExit(placed, 0)
        self.assertEqual(role_of(c, named_spare), ("replica", other.id), placed.describe())
        wait_until(lambda: link_up(c, named_spare), 15, "master_link_status:up")
        placed_id = next(v["id"] for v in harness.parse_cluster_nodes(c.cluster_nodes(named_spare))
                         if v["myself"])
        wait_until(lambda: (placed_id, "replica", other.id, "") in shape(c), 10,
                   "the cluster sees the new replica")  # before the next shape(c)

        # Two masters with --rebalance each get their share while a client writes.
        c.redis(new_master).execute_command("CLUSTER", "RESET", "HARD")  # leave the pair
        c.redis(with_keys).flushall()
        # The dry run shows the share they would get, planned as if they had joined.
        before = shape(c)
        mixed = (new_master.address, with_keys.address, f"{third.address}=replica", "--role",
                 "master", "--rebalance")
        share = self.warden(c, "add-node", *mixed, "--dry-run")
        self.assertExit(share, 0)
        self.assertIn(f"{third.address} joins as a replica of", share.out)
        self.assertIn("(planned again once the new masters have their share)", share.out)
        self.assertIn("their share, planned as if they had joined", share.out)
        self.assertRegex(share.out, r"rebalance plan: 655[34] slot\(s\)")
        for n in (new_master, with_keys):
            self.assertRegex(share.out, rf"{n.address} 327[67] \(now 0\)")
        time.sleep(0.5)
        self.assertEqual(shape(c), before, "--dry-run changed the cluster")
        writer = AckedWriter(c)
        time.sleep(0.5)
        # Two masters and a replica (NEW=replica): the masters join first and get their share,
        # then the replica goes where it is needed most: under a new master, not yet covered.
        grow = self.warden(c, "add-node", *mixed, "--yes", limit=120)
        self.assertExit(grow, 0)
        new_ids = []
        for n in (new_master, with_keys):
            own_id = next(v["id"] for v in harness.parse_cluster_nodes(c.cluster_nodes(n))
                          if v["myself"])
            self.assertIn(slots_of(c, own_id), (3276, 3277), grow.describe())
            new_ids.append(own_id)
        role, master = role_of(c, third)
        self.assertEqual(role, "replica", grow.describe())
        self.assertIn(master, new_ids, grow.describe())
        self.assertTrue(link_up(c, third))
        time.sleep(0.5)
        writer.stop_and_verify(self)

    def test_roles_per_node_usage_errors(self):
        # Usage is checked before any connection: no cluster needed.
        for args, wanted in (
                (("127.0.0.1:1=boss",), "the role after = is master or replica"),
                (("127.0.0.1:1", "--rebalance"), "--rebalance goes with new masters"),
                (("127.0.0.1:1=master", "--master", "abcd"), "--master goes with new replicas"),
                (("127.0.0.1:1", "127.0.0.1:1=master"), "127.0.0.1:1 is named twice")):
            run = run_warden("add-node", *args, "--seed", "127.0.0.1:1", "--dry-run", limit=30)
            self.assertNoCrash(run)
            self.assertExit(run, 2)
            self.assertIn(wanted, run.err, args)

    def test_remove_drained_master_dead_replicas_and_failed_nodes(self):
        c = self.cluster(masters=4, replicas=1)
        a, b, _, d = c.masters()
        a_replica = c.replicas_of(a)[0]
        before = shape(c)

        refused = self.warden(c, "remove-node", a.address, c.replicas_of(b)[0].address, "--yes")
        self.assertExit(refused, 1)
        self.assertIn(f"{a.address}: serves 4096 slot(s) (give --drain", refused.err)
        self.assertIn(f"is the last healthy replica of {b.address}", refused.err)
        self.assertIn("(give --force", refused.err)
        dry = self.warden(c, "remove-node", a.id[:8], "--drain", "--dry-run")
        self.assertExit(dry, 0)
        self.assertIn("rebalance plan: 4096 slot(s)", dry.out)
        self.assertIn(f"re-point {a_replica.address}", dry.out)
        time.sleep(0.5)
        self.assertEqual(shape(c), before, "--dry-run changed the cluster")

        # `maintenance off` while the drain runs (the other masters paused for 4 s, so the
        # first chunks wait on them): it stops once the chunks in flight are done, a's slots
        # partly moved, nothing left open; the run below continues the drain.
        config, marker = self.configured(c, b.address)
        others = [m for m in c.masters() if m is not a]

        def pause_targets():
            for m in others:
                c.redis(m).execute_command("CLIENT", "PAUSE", "4000", "ALL")

        _, err = self.stopped_by_maintenance_off(config, marker, "remove-node", a.address,
                                                 "--drain", meanwhile=pause_targets,
                                                 off_after=2.8)
        self.assertRegex(err, r"stopped after \d+ of 4096 slot\(s\)")
        self.assertIn("rerun remove-node --drain to continue", err)
        wait_until(lambda: 0 < slots_of(c, a.id) < 4096, 10, "a's slots partly moved")
        self.assertNotEqual(listing(c, a.id), [], "a stopped drain removed the node")

        # A drained master leaves: its slots move, its replica is re-pointed, it is reset and
        # forgotten everywhere, while a client writes.
        writer = AckedWriter(c)
        time.sleep(0.5)
        run = self.warden(c, "remove-node", a.address, "--drain", "--yes", limit=120)
        self.assertExit(run, 0)
        time.sleep(0.5)
        writer.stop_and_verify(self)
        self.assertEqual(listing(c, a.id), [], run.describe())
        self.assertEqual(slots_of(c, a.id), 0)
        role, master = role_of(c, a_replica)
        self.assertEqual(role, "replica")
        self.assertNotEqual(master, a.id)
        self.assertTrue(link_up(c, a_replica))
        self.assertTrue(a.alive())
        own = harness.parse_cluster_nodes(c.cluster_nodes(a))
        self.assertEqual(len(own), 1, "the removed node still knows the cluster: it could rejoin")
        a.role = "spare"  # no longer a member
        removed_at = time.monotonic()

        # A SIGKILLed replica is forgotten everywhere; with --config, under the cluster's
        # maintenance marker, which another operation's marker refuses.
        gone = c.replicas_of(d)[0]
        c.kill(gone)
        flagged_fail(c, gone)
        with open(marker, "w") as f:
            json.dump({"operation": "restart", "reason": "by the test",
                       "holder": f"{socket.gethostname()}:{os.getpid()}",
                       "since": time.time(), "until": time.time() + 600}, f)
        held = run_warden("remove-node", gone.address, "--config", config, "--yes", limit=60)
        self.assertExit(held, 1)
        self.assertIn("another planned operation holds the cluster's maintenance marker",
                      held.err)
        os.remove(marker)
        _, err = self.stopped_by_maintenance_off(config, marker, "remove-node", gone.address)
        self.assertIn("stopped before the first step (nothing done)", err)
        self.assertNotEqual(listing(c, gone.id), [], "a stopped remove-node forgot the node")
        dead = run_warden("remove-node", gone.address, "--config", config, "--yes", limit=90)
        self.assertExit(dead, 0)
        self.assertIn("down: only forgotten", dead.out)
        self.assertEqual(listing(c, gone.id), [], dead.describe())
        self.assertFalse(os.path.exists(marker), "the marker outlived the operation")
        gone.role = "spare"

        # --failed: two dead replicas at once.
        two = [c.replicas_of(m)[0] for m in c.masters() if m.role == "master"
               and c.replicas_of(m)][:2]
        for n in two:
            c.kill(n)
        for n in two:
            flagged_fail(c, n)
        failed = self.warden(c, "remove-node", "--failed", "--yes")
        self.assertExit(failed, 0)
        self.assertIn("2 node(s) to remove", failed.out)
        for n in two:
            self.assertEqual(listing(c, n.id), [], failed.describe())
        nothing = self.warden(c, "remove-node", "--failed", "--yes")
        self.assertExit(nothing, 0)
        self.assertIn("nothing to do", nothing.out)

        # The removed master still runs; once the 60 s FORGET ban is over, gossip would
        # bring it back if any node still knew it. None does.
        time.sleep(max(0.0, removed_at + 65 - time.monotonic()))
        self.assertTrue(a.alive())
        self.assertEqual(listing(c, a.id), [], "the removed master came back after the ban")
        self.assertEqual(len(harness.parse_cluster_nodes(c.cluster_nodes(a))), 1)


if __name__ == "__main__":
    unittest.main()
