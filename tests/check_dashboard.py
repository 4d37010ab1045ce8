#!/usr/bin/python3
"""The Grafana dashboard is valid JSON and queries only metrics the daemon exports.

Usage: check_dashboard.py DASHBOARD.json METRICS.txt (a /metrics sample)."""
import json
import re
import sys

dashboard = json.load(open(sys.argv[1]))
exported = set()
for line in open(sys.argv[2]):
    if line.startswith("# TYPE "):
        name, kind = line.split()[2:4]
        exported.add(name)
        if kind == "histogram":
            exported.update({name + "_bucket", name + "_sum", name + "_count"})

exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
for variable in dashboard.get("templating", {}).get("list", []):
    if variable.get("type") == "query":
        exprs.append(variable["query"])
used = {m for e in exprs for m in re.findall(r"\bredis_warden_[a-z_]+", e)}
missing = sorted(used - exported)
if not exprs or not used:
    sys.exit("dashboard has no queries on redis_warden_ metrics")
if missing:
    sys.exit(f"dashboard uses metrics the daemon does not export: {missing}")
print(f"dashboard OK: {len(exprs)} queries over {len(used)} exported metrics")
