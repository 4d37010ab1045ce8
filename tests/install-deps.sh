#!/usr/bin/env bash
# The one list of Debian 12 packages redis-warden needs to build, test and demo, and the
# one place that installs them. Used by tests/run.sh and deploy/demo.sh; run it alone too.
#   tests/install-deps.sh          install whatever is missing (root; apt-get)
#   tests/install-deps.sh --list   print the list
#   tests/install-deps.sh --check  exit 1 (naming them) if any is missing; install nothing
set -euo pipefail

WARDEN_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev              # libFuzzer + sanitizers (fuzz build)
  # libraries
  libboost-dev libboost-system-dev libhiredis-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  doctest-dev nlohmann-json3-dev libcli11-dev
  libssl-dev                            # the TLS layer (Redis and etcd)
  openssl                               # test certificates (tls_files.py, test_coordination)
  # test and demo tools
  redis-server redis-tools              # real redis-server/redis-cli 7.0 for the harness
  python3 python3-redis                 # harness + integration tests (/usr/bin/python3)
  prometheus                            # promtool: metrics format and alert rule tests
  systemd                               # systemd-analyze verify of the unit file
  etcd-server                           # /usr/bin/etcd on loopback: coordination tests
  chromium                              # headless browser: the on-call page (test_page.py)
  prometheus-alertmanager               # /usr/bin/prometheus-alertmanager on loopback: events tests
  # the Debian package (deploy/package.sh, tests/package/test_package.sh)
  scdoc                                 # man pages from deploy/man/*.scd (every build)
  debhelper lintian man-db
)

missing_packages() {
  local p status
  for p in "${WARDEN_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || echo "$p"
  done
}

main() {
  case "${1:-}" in
    --list) printf '%s\n' "${WARDEN_PACKAGES[@]}"; return 0 ;;
    --check|"") ;;
    *) echo "usage: $0 [--list|--check]" >&2; return 2 ;;
  esac
  if ! command -v dpkg-query >/dev/null; then
    echo "install-deps: dpkg-query not found: this script expects Debian 12" >&2
    return 1
  fi
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#WARDEN_PACKAGES[@]} packages present"
    return 0
  fi
  if [[ ${1:-} == --check ]]; then
    echo "install-deps: missing: ${missing[*]}" >&2
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: not root; install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
  echo "install-deps: installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}" </dev/null
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]})); then
    echo "install-deps: still missing after apt-get: ${missing[*]}" >&2
    return 1
  fi
}

main "$@"
