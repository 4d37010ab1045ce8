#!/usr/bin/python3
"""Benchmark: how fast an orphaned master gets a healthy replica again, redis-warden's
daemon (heal.mode: heal, default grace 2 s) against Redis' native replica migration, on the
same real cluster shape (issue scenario 1: 3 masters, A has 2 replicas, B's only replica
is SIGKILLed; cluster-node-timeout 2000 ms). Then scenario 7: 5 masters x 1 replica, 3
masters SIGKILLed at once, time until cluster_state:ok with heal.takeover (native: never).

    tests/bench/bench_heal.py [--runs 5] [--poll-ms 250] [--replication defaults|harness|both]

Replication settings: "defaults" runs the servers with Redis' own defaults (7.0:
repl-diskless-sync yes, repl-diskless-sync-delay 5), the headline figure; "harness" with the
test harness' repl-diskless-sync-delay 0. With the defaults, warden runs twice: with
heal.fast_sync (its default: delay 0 on the new master for the move) and without. The
settings are read back from a master (CONFIG GET) and printed with the figures.

Also checks that warden and native migration do not fight when both are on (one move, no
flapping). Prints medians and the ratio. Not run by CI.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from common import Cluster, harness, wait_until  # noqa: E402
from test_daemon import Daemon  # noqa: E402

NODE_TIMEOUT_MS = 2000
# The harness writes repl-diskless-sync-delay 0; these lines put Redis' defaults back.
REPLICATION = {
    "defaults": ["repl-diskless-sync yes", "repl-diskless-sync-delay 5"],
    "harness": [],
}


def replication_settings(c, node) -> str:
    r = c.redis(node)
    values = {name: r.config_get(name).get(name, "?")
              for name in ("repl-diskless-sync", "repl-diskless-sync-delay")}
    return ", ".join(f"{k} {v}" for k, v in values.items())


def covered(c, master) -> bool:
    """Some live node replicates `master` with master_link_status:up."""
    for n in c.nodes:
        if not n.alive() or n is master:
            continue
        try:
            view = harness.parse_cluster_nodes(c.cluster_nodes(n))
            mine = next(v for v in view if v["myself"])
            if mine["master_id"] == master.id and c.info(n).get("master_link_status") == "up":
                return True
        except Exception:  # noqa: BLE001 - the killed node, or one mid-restart
            continue
    return False


def scenario_one(native: bool, poll_ms: int, tmp: str, both: bool = False,
                 replication: str = "defaults", fast_sync: bool = True,
                 seen: dict | None = None) -> float:
    extra = [] if native or both else ["cluster-allow-replica-migration no"]
    extra = extra + REPLICATION[replication]
    with Cluster(masters=3, replicas=1, hosts=3, spares=1, node_timeout=NODE_TIMEOUT_MS,
                 extra_config=extra) as c:
        a, b, _ = c.masters()
        spare = c.spares()[0]
        c.redis(a).execute_command("CLUSTER", "MEET", spare.host, spare.port)
        spare.role = "master"
        wait_until(lambda: all(c._knows_all(n, 7) for n in c.members()), 20, "meet")
        c.redis(spare).execute_command("CLUSTER", "REPLICATE", a.id)
        spare.role, spare.master_id = "replica", a.id
        c.wait_healthy()
        if seen is not None:
            seen[replication] = replication_settings(c, b)
        daemon = None
        if not native:
            fast = "true" if fast_sync else "false"
            daemon = Daemon(f"clusters:\n  - name: bench\n    seeds: [{a.address}]\n"
                            f"    poll_interval: {poll_ms}ms\n    timeout: 300ms\n"
                            f"    heal: {{mode: heal, fast_sync: {fast}}}\n", tmp)
            wait_until(lambda: daemon.get("/healthz")[0] == 200, 15, "daemon healthy")
        try:
            victim = c.replicas_of(b)[0]
            t0 = time.monotonic()
            c.kill(victim)
            wait_until(lambda: covered(c, b), 60, "orphan covered", interval=0.05)
            elapsed = time.monotonic() - t0
            if both:
                time.sleep(12)  # past native migration's delay: it must not move anything
                replicas = {}
                for n in c.nodes:
                    if n.alive():
                        mine = next(v for v in harness.parse_cluster_nodes(c.cluster_nodes(n))
                                    if v["myself"])
                        replicas.setdefault(mine["master_id"], []).append(n.address)
                moves = daemon.log_text().count("outcome=success")
                ok = len(replicas.get(a.id, [])) == 1 and len(replicas.get(b.id, [])) == 1
                print(f"  both on: warden moves {moves}, A replicas {replicas.get(a.id)}, "
                      f"B replicas {replicas.get(b.id)} -> {'no fight' if ok and moves == 1 else 'FIGHT'}")
            return elapsed
        finally:
            if daemon:
                daemon.stop()


def scenario_seven(poll_ms: int, tmp: str) -> float:
    with Cluster(masters=5, replicas=1, node_timeout=NODE_TIMEOUT_MS,
                 extra_config=["cluster-allow-replica-migration no"]) as c:
        survivor = c.masters()[4]
        daemon = Daemon(f"clusters:\n  - name: bench\n    seeds: [{survivor.address}]\n"
                        f"    poll_interval: {poll_ms}ms\n    timeout: 300ms\n"
                        "    heal: {mode: heal, takeover: true}\n", tmp)
        try:
            wait_until(lambda: daemon.get("/healthz")[0] == 200, 15, "daemon healthy")
            victims = c.masters()[:3]
            t0 = time.monotonic()
            for m in victims:
                c.kill(m)
            live = [n for n in c.members() if n not in victims]
            time.sleep(3)  # let the cluster notice first
            wait_until(lambda: all("cluster_state:ok" in c.redis(n).execute_command(
                "CLUSTER", "INFO") for n in live), 90, "cluster_state ok", interval=0.05)
            return time.monotonic() - t0
        finally:
            daemon.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--poll-ms", type=int, default=250)
    parser.add_argument("--replication", choices=["defaults", "harness", "both"], default="both")
    args = parser.parse_args()
    settings = ["defaults", "harness"] if args.replication == "both" else [args.replication]
    seen: dict = {}
    results: dict = {}
    for run in range(args.runs):
        line = []
        for replication in settings:
            for name, native, fast in (("native", True, True), ("fast_sync on", False, True),
                                       ("fast_sync off", False, False)):
                if replication == "harness" and not fast:
                    continue  # with delay 0 there is nothing for fast sync to remove
                with tempfile.TemporaryDirectory(prefix="bench-heal-") as tmp:
                    figure = scenario_one(native, args.poll_ms, tmp, replication=replication,
                                          fast_sync=fast, seen=seen)
                results.setdefault((replication, name), []).append(figure)
                line.append(f"{replication}/{name} {figure:.2f} s")
        with tempfile.TemporaryDirectory(prefix="bench-heal-") as tmp:
            results.setdefault("takeover", []).append(scenario_seven(args.poll_ms, tmp))
        line.append(f"takeover to cluster_state:ok {results['takeover'][-1]:.2f} s")
        print(f"run {run + 1}: " + ", ".join(line), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-heal-") as tmp:
        scenario_one(False, args.poll_ms, tmp, both=True, replication=settings[0])
    print(f"\nkill -> orphan covered (median of {args.runs}, node-timeout {NODE_TIMEOUT_MS} ms, "
          f"warden poll {args.poll_ms} ms, grace 2 s):")
    for replication in settings:
        print(f"  servers' replication settings: {seen.get(replication)} ({replication})")
        native = statistics.median(results[(replication, "native")])
        print(f"    native replica migration        {native:.2f} s")
        for name in ("fast_sync on", "fast_sync off"):
            if (replication, name) not in results:
                continue
            figure = statistics.median(results[(replication, name)])
            print(f"    redis-warden ({name:13s}) {figure:.2f} s  ratio {figure / native:.3f}")
    print("  target: ratio <= 0.25 with the servers' defaults (heal.fast_sync on)")
    print(f"3 of 5 masters killed -> cluster_state:ok with takeover: "
          f"{statistics.median(results['takeover']):.2f} s median (native: never)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
