#!/usr/bin/python3
"""The layering of DESIGN.md, enforced: which of the project's folders each layer may
include, and the system headers the pure core must not touch (no sockets, threads, logging).

    tests/check_layers.py [ROOT]

Prints every include that breaks a rule (file:line) and exits 1, else prints a summary."""
import os
import re
import sys

PROJECT_PREFIXES = ("controller/", "probes/", "config/", "tests/")
# layer -> project folders its files may include (a layer always includes itself)
ALLOWED = {
    "controller/core": ["controller/core"],
    "config": ["controller/core"],
    "probes": ["controller/core"],
    "controller/executor": ["controller/core", "probes", "config"],
    "controller/daemon": ["controller/core", "probes", "config", "controller/executor"],
    "controller/cli": ["controller/core", "probes", "config", "controller/executor",
                       "controller/daemon"],
}
# The core is pure: no I/O, threads or logging (DESIGN.md, "Data flow").
CORE_FORBIDDEN = ("boost/asio", "boost/beast", "spdlog/", "thread", "mutex", "future",
                  "condition_variable", "hiredis/", "CLI/", "yaml-cpp/", "systemd/",
                  "sys/socket.h", "unistd.h")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def layer_of(path: str):
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if path == layer or path.startswith(layer + "/"):
            return layer
    return None


def problems(root: str):
    for layer in ALLOWED:
        for folder, _, files in os.walk(os.path.join(root, layer)):
            for name in files:
                if not name.endswith((".cpp", ".hpp", ".h")):
                    continue
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        match = INCLUDE.match(line)
                        if not match:
                            continue
                        header = match.group(1)
                        where = f"{relative}:{number}: #include {header}"
                        if header.startswith(PROJECT_PREFIXES):
                            target = layer_of(os.path.dirname(header)) or header
                            if target != layer and target not in ALLOWED[layer]:
                                yield f"{where}: {layer} may not include {target}"
                        elif layer == "controller/core" and header.startswith(CORE_FORBIDDEN):
                            yield f"{where}: the pure core may not include {header}"


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    found = list(problems(root))
    for problem in found:
        print(problem)
    if found:
        print(f"{len(found)} include(s) break the layering", file=sys.stderr)
        return 1
    print(f"layering holds for {len(ALLOWED)} layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
