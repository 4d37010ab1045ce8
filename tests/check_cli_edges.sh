#!/usr/bin/env bash
# `config check` and `version` as their contracts say (DESIGN.md "Command line"), and the
# package's version in step with the project's.
#   tests/check_cli_edges.sh BINARY SOURCE_DIR PROJECT_VERSION
set -euo pipefail
binary=$1 source=$2 version=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

out=$("$binary" config check "$source/deploy/config.default.yaml") || fail "the default config is rejected"
[[ $out == "config OK: $source/deploy/config.default.yaml: 1 cluster (local: observe), coordination none, listen 127.0.0.1:9736" ]] ||
  fail "config check summary: $out"

printf 'clusters:\n  - name: a\n    seeds: [127.0.0.1:7000]\n    timeout: 5x\n' > "$work/bad.yaml"
status=0
err=$("$binary" config check "$work/bad.yaml" 2>&1 >/dev/null) || status=$?
((status == 1)) || fail "config check of a bad config exits $status, not 1"
[[ $err == "redis-warden config check: $work/bad.yaml:4:14: key 'clusters[0].timeout': "* ]] ||
  fail "config check error: $err"
# The same error `run` gives, word for word after the command name.
status=0
run_err=$("$binary" run --config "$work/bad.yaml" 2>&1 >/dev/null) || status=$?
((status == 1)) || fail "run with a bad config exits $status"
[[ ${run_err#redis-warden run: } == "${err#redis-warden config check: }" ]] ||
  fail "run and config check disagree: '$run_err' vs '$err'"
status=0
"$binary" config check >/dev/null 2>&1 || status=$?
((status == 2)) || fail "config check without FILE exits $status, not 2 (usage)"

out=$("$binary" version)
[[ $(sed -n 1p <<<"$out") == "redis-warden $version" ]] || fail "version line: $(sed -n 1p <<<"$out")"
for key in commit "build type" hiredis Boost OpenSSL spdlog; do
  grep -Eq "^$key: [^ ]" <<<"$out" || fail "version has no '$key:' line"
done

changelog=$(sed -n '1s/^redis-warden (\([^)]*\)).*/\1/p' "$source/debian/changelog")
[[ $changelog == "$version" ]] ||
  fail "debian/changelog says $changelog, the project (CMakeLists.txt) $version: add a changelog entry (dch -v $version)"

((failed == 0)) && echo "config check, version and debian/changelog agree with their contracts"
exit "$failed"
