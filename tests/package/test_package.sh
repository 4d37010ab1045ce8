#!/usr/bin/env bash
# The Debian package, end to end, on this machine (root; CI's throwaway Debian 12):
# build it (deploy/package.sh), lintian (no errors), apt-get install, the installed
# program, unit, man pages, completion and config, the service user's rights, the service
# starting against the default config, then apt-get purge leaving nothing it made.
#   tests/package/test_package.sh [OUTDIR]     default OUTDIR: build-deb/
# Env: WARDEN_PACKAGE_DEB=path/to.deb tests that package instead of building one;
# WARDEN_PACKAGE_FROM_BUILD=DIR packages the program DIR holds (deploy/package.sh
# --from-build: tests/run.sh passes the build it has just tested) instead of compiling it.
# Refuses to run where redis-warden is installed already: purging it would take the
# operator's config with it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build-deb}
cd "$ROOT"
started=$SECONDS
export DEBIAN_FRONTEND=noninteractive

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
step() { echo "== package: $*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "test_package: needs root (it installs and purges the package)" >&2
  exit 1
fi
if dpkg-query -W -f='${Status}' redis-warden 2>/dev/null | grep -q 'installed'; then
  echo "test_package: redis-warden is installed on this machine already; not touching it" >&2
  exit 1
fi

if [[ -n ${WARDEN_PACKAGE_DEB:-} ]]; then
  deb=$(realpath "$WARDEN_PACKAGE_DEB")
else
  from_build=()
  [[ -n ${WARDEN_PACKAGE_FROM_BUILD:-} ]] && from_build=(--from-build "$WARDEN_PACKAGE_FROM_BUILD")
  step "build (deploy/package.sh ${from_build[*]} $OUT)"
  mkdir -p "$OUT"
  bash deploy/package.sh "${from_build[@]}" "$OUT" > "$OUT/package.log" 2>&1 ||
    { tail -n 40 "$OUT/package.log"; echo "test_package: the package build failed ($OUT/package.log)" >&2; exit 1; }
  tail -n 1 "$OUT/package.log"
  version=$(sed -n 's/^project(redis_warden VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
  deb=$(ls "$OUT"/redis-warden_"$version"_*.deb)
fi
version=$(dpkg-deb -f "$deb" Version)
changes=${deb%.deb}.changes

step "lintian $(basename "${changes}")"
lintian_target=$deb
[[ -f $changes ]] && lintian_target=$changes
status=0
lintian --fail-on error --display-info "$lintian_target" > "$OUT/lintian.txt" 2>&1 || status=$?
sed 's/^/  /' "$OUT/lintian.txt"
((status == 0)) || fail "lintian reports errors (exit $status), see above"

# What the package ships, and which of those paths exist before it is installed: after the
# purge every path that did not exist before must be gone again.
mapfile -t shipped < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|; s|/$||' | grep -v '^/\?$')
preexisting=()
for path in "${shipped[@]}"; do [[ -e $path ]] && preexisting+=("$path"); done
for path in /etc/redis-warden /var/lib/redis-warden; do
  [[ -e $path ]] && fail "$path exists before the package is installed"
done
getent passwd redis-warden >/dev/null && fail "user redis-warden exists before the install"

# Whatever happens from here on, the machine does not keep the package.
installed_here=0
cleanup() {
  if ((installed_here)) && dpkg-query -W -f='${Status}' redis-warden 2>/dev/null | grep -q installed; then
    apt-get purge -y -q redis-warden </dev/null >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

step "apt-get install ./$(basename "$deb")"
installed_here=1
apt-get install -y -q "$deb" </dev/null | tail -n 5
dpkg -s redis-warden | grep -q '^Depends:.*libhiredis' || fail "Depends (from shlibs) lacks libhiredis"
mapfile -t listed < <(dpkg -L redis-warden)
conffiles=$(dpkg-query -W -f='${Conffiles}' redis-warden)
grep -q '/etc/redis-warden/config.yaml' <<<"$conffiles" || fail "config.yaml is not a conffile"

step "redis-warden version"
out=$(/usr/bin/redis-warden version) || fail "/usr/bin/redis-warden version failed"
sed 's/^/  /' <<<"$out"
[[ $(head -n 1 <<<"$out") == "redis-warden $version" ]] || fail "version does not say $version"

# Minimal container images tell dpkg not to unpack man pages (path-exclude): then the
# package's own pages, taken from the .deb, stand in for the check (and the unit's
# Documentation= check), and the test says so.
if ! [[ -e /usr/share/man/man8/redis-warden.8.gz ]] &&
   grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  echo "  (dpkg here excludes /usr/share/man: checking the package's man pages from the .deb)"
  man_copy=$(mktemp -d)
  dpkg-deb -x "$deb" "$man_copy"
  export MANPATH=$man_copy/usr/share/man
fi

step "systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/redis-warden.service || fail "systemd-analyze verify"

step "man pages"
man -w redis-warden || fail "man -w redis-warden"
man -w redis-warden.yaml || fail "man -w redis-warden.yaml"
man -w 5 redis-warden.yaml | grep -q man5 || fail "redis-warden.yaml is not in section 5"

step "config check of the default config"
/usr/bin/redis-warden config check /etc/redis-warden/config.yaml || fail "config check"

step "the service user, and who can read the config directory"
getent passwd redis-warden | grep -q ':/usr/sbin/nologin$' || fail "redis-warden has a login shell"
[[ $(stat -c '%U:%G %a' /etc/redis-warden) == "root:redis-warden 750" ]] ||
  fail "/etc/redis-warden is $(stat -c '%U:%G %a' /etc/redis-warden)"
# A password file the way the README and redis-warden.yaml(5) say to make one.
install -m 0640 -o root -g redis-warden /dev/null /etc/redis-warden/test.pass
echo s3cret > /etc/redis-warden/test.pass
sed 's|^    # auth: .*|    auth: {password_file: /etc/redis-warden/test.pass}|' \
  /etc/redis-warden/config.yaml > /etc/redis-warden/test.yaml
chgrp redis-warden /etc/redis-warden/test.yaml
runuser -u redis-warden -- /usr/bin/redis-warden config check /etc/redis-warden/test.yaml ||
  fail "the service user cannot read the config and its password file"
if runuser -u nobody -- cat /etc/redis-warden/test.pass >/dev/null 2>&1; then
  fail "another user can read the password file"
fi

step "the service starts on the default config and keeps running"
if [[ -d /run/systemd/system ]]; then
  for _ in $(seq 50); do systemctl is-active --quiet redis-warden && break; sleep 0.2; done
  systemctl is-active redis-warden || fail "the service is not active after the install"
  systemctl reload redis-warden || fail "systemctl reload"
  sleep 3
  systemctl is-active redis-warden || fail "the service stopped after a reload"
  [[ $(systemctl show -p NRestarts --value redis-warden) == 0 ]] || fail "the service restarted"
else
  echo "  (systemd is not PID 1 here: the install did not start it; running it as the unit would)"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  log=$(mktemp)
  # As the unit runs it: the service user and group, no intermediate process to signal.
  setpriv --reuid=redis-warden --regid=redis-warden --init-groups -- \
    /usr/bin/redis-warden run --config /etc/redis-warden/config.yaml \
    --listen "127.0.0.1:$port" >"$log" 2>&1 &
  daemon=$!
  code=000
  for _ in $(seq 50); do
    code=$(python3 -c 'import sys, urllib.request as u
try: print(u.urlopen(sys.argv[1], timeout=2).status)
except Exception as e: print(getattr(e, "code", "000"))' "http://127.0.0.1:$port/healthz")
    [[ $code == 200 ]] && break
    sleep 0.2
  done
  sleep 2
  kill -0 "$daemon" 2>/dev/null || fail "the daemon exited on the default config"
  [[ $code == 200 ]] || fail "/healthz answered $code"
  kill "$daemon"
  wait "$daemon" || fail "the daemon did not stop cleanly on SIGTERM"
  sed 's/^/  /' "$log"
  rm -f "$log"
  # What systemd's StateDirectory= would have made, so the purge has it to remove.
  install -d -o redis-warden -g redis-warden -m 0700 /var/lib/redis-warden
fi

step "bash completion"
completion=/usr/share/bash-completion/completions/redis-warden
bash -c "source $completion; COMP_WORDS=(redis-warden reb); COMP_CWORD=1; _redis_warden
         [[ \${COMPREPLY[*]} == rebalance ]]" || fail "'redis-warden reb<TAB>' is not rebalance"
bash -c "source $completion; COMP_WORDS=(redis-warden check --from-f); COMP_CWORD=2; _redis_warden
         [[ \${COMPREPLY[*]} == --from-file ]]" || fail "'redis-warden check --from-f<TAB>' is not --from-file"
python3 tests/check_cli_docs.py completion /usr/bin/redis-warden "$completion" ||
  fail "the installed completion misses subcommands or flags"

step "apt-get purge redis-warden"
apt-get purge -y -q redis-warden </dev/null | tail -n 3
dpkg-query -W -f='${Status}' redis-warden 2>/dev/null | grep -q 'installed' && fail "still installed"
for path in "${listed[@]}" "${shipped[@]}" /etc/redis-warden /var/lib/redis-warden; do
  [[ $path == /. || -z $path ]] && continue
  [[ -e $path || -L $path ]] || continue
  [[ " ${preexisting[*]} " == *" $path "* ]] && continue
  fail "the purge left $path"
done
for path in /etc/systemd/system/multi-user.target.wants/redis-warden.service \
            /var/lib/systemd/deb-systemd-helper-enabled/redis-warden.service.dsh-also \
            /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/redis-warden.service; do
  [[ -e $path || -L $path ]] && fail "the purge left the unit's enablement: $path"
done
getent passwd redis-warden >/dev/null && fail "the purge left the user redis-warden"
getent group redis-warden >/dev/null && fail "the purge left the group redis-warden"

if ((failed)); then
  echo "test_package: FAILED ($((SECONDS - started)) s)" >&2
  exit 1
fi
echo "test_package: OK ($((SECONDS - started)) s)"
