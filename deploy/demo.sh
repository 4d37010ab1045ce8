#!/usr/bin/env bash
# Try redis-warden on a local 6-node Redis Cluster (3 masters x 1 replica) spread over
# 127.0.0.1, 127.0.0.2 and 127.0.0.3 as three "hosts", each replica on another host than
# its master. Works as root on a fresh Debian 12 (installs missing packages with apt-get).
#   deploy/demo.sh           install, build, start the cluster, run `check` against it
#   deploy/demo.sh status    show the demo cluster's nodes and pids
#   deploy/demo.sh stop      stop the demo cluster (by recorded pid) and remove its state
# Env: WARDEN_DEMO_DIR (default /tmp/redis-warden-demo), WARDEN_DEMO_PORT (first port,
# default 17001; another free range is picked if taken).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STATE=${WARDEN_DEMO_DIR:-/tmp/redis-warden-demo}
PORT=${WARDEN_DEMO_PORT:-17001}
PY=/usr/bin/python3
HARNESS="$ROOT/tests/harness/cluster.py"
BIN="$ROOT/build/redis-warden"

# field FILE EXPR: evaluate a python expression over the state JSON (bound to `s`)
field() { "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

cmd=${1:-start}
case "$cmd" in
  stop)
    if [[ ! -f $STATE/cluster.json ]]; then
      echo "demo: no demo cluster in $STATE"
      exit 0
    fi
    "$PY" "$HARNESS" stop --dir "$STATE" >/dev/null
    echo "demo: stopped the demo cluster and removed $STATE"
    exit 0 ;;
  status)
    exec "$PY" "$HARNESS" status --dir "$STATE" ;;
  start) ;;
  -h|--help|help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  *)
    echo "usage: $0 [start|status|stop]" >&2
    exit 2 ;;
esac

echo "== 1/4 packages"
bash tests/install-deps.sh

echo "== 2/4 build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc 2>/dev/null || echo 2)" --target redis-warden

echo "== 3/4 cluster"
if [[ -f $STATE/cluster.json ]]; then
  if "$PY" "$HARNESS" status --dir "$STATE" | "$PY" -c \
      'import json,sys; sys.exit(0 if all(n["alive"] for n in json.load(sys.stdin)["nodes"]) else 1)'; then
    echo "demo: reusing the running demo cluster in $STATE (deploy/demo.sh stop to remove it)"
  else
    echo "demo: found a stale/partial demo cluster in $STATE: removing it"
    "$PY" "$HARNESS" stop --dir "$STATE" >/dev/null
  fi
fi
if [[ ! -f $STATE/cluster.json ]]; then
  # processes are started in their own sessions and outlive this script
  "$PY" "$HARNESS" start --masters 3 --replicas 1 --hosts 3 --base-port "$PORT" \
    --dir "$STATE" >/dev/null
fi
J=$STATE/cluster.json
SEED=$(field "$J" "s['seeds'][0]")
echo "demo: nodes (state and logs in $STATE):"
field "$J" "'\n'.join('  %-16s %-8s pid %-7s id %s%s' % (n['address'], n['role'], n['pid'], n['id'][:8], '  replica of ' + next(m['address'] for m in s['nodes'] if m['id'] == n['master_id']) if n['master_id'] else '') for n in s['nodes'])"

echo
echo "== 4/4 $BIN check --seed $SEED"
rc=0
"$BIN" check --seed "$SEED" || rc=$?
echo "(exit code $rc: 0 ok, 1 warning, 2 critical, 3 unknown)"

REPLICA=$(field "$J" "[n for n in s['nodes'] if n['role'] == 'replica'][0]['address']")
RPID=$(field "$J" "[n for n in s['nodes'] if n['role'] == 'replica'][0]['pid']")
RPORT=${REPLICA##*:}
MASTER=$(field "$J" "[n for n in s['nodes'] if n['role'] == 'master'][1]['address']")
MPID=$(field "$J" "[n for n in s['nodes'] if n['role'] == 'master'][1]['pid']")

# A daemon config for this cluster, for `redis-warden run`.
cat > "$STATE/warden.yaml" <<EOY
listen: 127.0.0.1:9736
log: {level: info, format: text}
clusters:
  - name: demo
    seeds: [$SEED]
    poll_interval: 1s
    timeout: 500ms
EOY

cat <<EOT

What to try next:
  # machine-readable report / monitoring-plugin line
  build/redis-warden check --seed $SEED --json
  build/redis-warden check --seed $SEED --format nagios

  # kill a replica: its master is left without a healthy replica (orphaned_master, exit 2)
  kill -KILL $RPID          # replica $REPLICA
  build/redis-warden check --seed $SEED
  $PY tests/harness/cluster.py restart --dir $STATE --port $RPORT   # bring it back

  # freeze a master: check still answers within --timeout and names it unreachable
  kill -STOP $MPID; build/redis-warden check --seed $SEED --timeout 500; kill -CONT $MPID
  # (master $MASTER; left stopped longer than 2 s, its replica takes over)

  # the daemon: Prometheus metrics, status and health on http://127.0.0.1:9736
  build/redis-warden run --config $STATE/warden.yaml &
  curl -s localhost:9736/metrics | grep -E 'orphaned|quorum_margin'; curl -s localhost:9736/status
  curl -s localhost:9736/healthz; kill %1

  # security audit: no password here, so auth_disabled with the exact fix (exit 2)
  build/redis-warden audit --seed $SEED

  # self-healing: plan, then act (with one replica per master and no spare there may be
  # nothing to spare: the plan says why); heal.mode: heal makes the daemon do it itself
  kill -KILL $RPID; sleep 3
  build/redis-warden heal --seed $SEED --dry-run
  $PY tests/harness/cluster.py restart --dir $STATE --port $RPORT

  # slot moves: plan only, then a manual reshard of 100 slots to another master
  build/redis-warden rebalance --seed $SEED --dry-run
  build/redis-warden rebalance --seed $SEED --move 0-99 --to $MASTER --yes

  # import a standalone Redis into the cluster (a throwaway one on port 6390, 10,000 keys)
  redis-server --port 6390 --save '' --daemonize yes
  redis-benchmark -p 6390 -t set -n 20000 -r 10000 -q
  build/redis-warden import --from 127.0.0.1:6390 --seed $SEED --yes --verify
  redis-cli -p 6390 shutdown nosave

  # redis-cli's own view, for comparison
  redis-cli --cluster check $SEED

  deploy/demo.sh status     # nodes and pids
  deploy/demo.sh stop       # stop the cluster and remove $STATE
EOT
