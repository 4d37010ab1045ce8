#!/usr/bin/env bash
# Build redis-warden and run every test (unit, integration on real redis-server, fuzz smoke).
# Works as root on a fresh Debian 12: missing packages are installed with apt-get first.
#   tests/run.sh                 everything
#   tests/run.sh -L unit         ctest arguments pass through (then the fuzz step is skipped
#                                unless WARDEN_RUN_FUZZ=1)
# Env: WARDEN_RUN_FUZZ=0|1 force the fuzz step off/on; WARDEN_RUN_SANITIZE=0 skips the
# ASan/UBSan run of the unit tier's test binaries; WARDEN_RUN_TSAN=0 skips the
# ThreadSanitizer run of test_probes; WARDEN_RUN_PACKAGE=0 skips building, installing
# and purging the Debian package; WARDEN_CTEST_JOBS (default 2) tests at once;
# BUILD_TYPE (default RelWithDebInfo).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash tests/install-deps.sh

BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
JOBS=$(nproc 2>/dev/null || echo 2)

echo "== configure + build (build/, $BUILD_TYPE) [$(date -u +%T), ${SECONDS}s]"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
cmake --build build --parallel "$JOBS"

everything=0
(($# == 0)) && everything=1
run_fuzz=${WARDEN_RUN_FUZZ:-$everything}
run_sanitize=$((everything && ${WARDEN_RUN_SANITIZE:-1} == 1))
run_tsan=$((everything && ${WARDEN_RUN_TSAN:-1} != 0))

# The instrumented builds compile while the main ctest runs: the integration tier mostly
# waits on redis-server, so they use the CPU it leaves idle. They run at the lowest priority
# (nice 19) so the tests' own processes (redis-server, redis-warden, clients) come first.
#  - build-fuzz/ (clang, -DWARDEN_FUZZ=ON: ASan + UBSan + libFuzzer coverage on every
#    target) serves both the fuzz smoke and the unit tier's test binaries under ASan/UBSan,
#    so the core is compiled once for both;
#  - build-tsan/ (-DWARDEN_TSAN=ON) builds only test_probes: the worker pools
#    (probes/parallel.hpp) and the fake servers' threads live there; the pure core has none.
extra_log=$ROOT/build/instrumented-builds.log
build_instrumented() {
  if [[ $run_fuzz == 1 || $run_sanitize == 1 ]]; then
    echo "== configure + build build-fuzz/ (clang, ASan/UBSan, libFuzzer) [$(date -u +%T), ${SECONDS}s]"
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++ -DWARDEN_FUZZ=ON
    local targets=()
    if [[ $run_fuzz == 1 ]]; then
      mapfile -t targets < <(cmake --build build-fuzz --target help |
                               sed -n 's/^\(fuzz_[A-Za-z0-9_]*\): phony$/\1/p')
    fi
    [[ $run_sanitize == 1 ]] && targets+=(unit_test_binaries)
    if ((${#targets[@]})); then
      nice -n 19 cmake --build build-fuzz --parallel "$JOBS" --target "${targets[@]}"
    fi
  fi
  if [[ $run_tsan == 1 ]]; then
    echo "== configure + build build-tsan/ (test_probes) [$(date -u +%T), ${SECONDS}s]"
    cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWARDEN_TSAN=ON
    nice -n 19 cmake --build build-tsan --parallel "$JOBS" --target test_probes
  fi
  echo "== instrumented builds done [$(date -u +%T)]"
}
extra_pid=
if [[ $run_fuzz == 1 || $run_sanitize == 1 || $run_tsan == 1 ]]; then
  build_instrumented > "$extra_log" 2>&1 &
  extra_pid=$!
fi

# The tests do not collide (free ports, temp dirs, pids), so two run at once: the
# integration tier is mostly waiting. WARDEN_CTEST_JOBS=1 runs them one at a time.
echo "== ctest (build/) $* [$(date -u +%T), ${SECONDS}s]"
status=0
ctest --test-dir build --output-on-failure --parallel "${WARDEN_CTEST_JOBS:-2}" "$@" || status=$?

if [[ -n $extra_pid ]]; then
  echo "== waiting for the instrumented builds [$(date -u +%T), ${SECONDS}s]"
  if ! wait "$extra_pid"; then
    cat "$extra_log"
    echo "tests/run.sh: an instrumented build failed (log above)" >&2
    run_fuzz=0 run_sanitize=0 run_tsan=0 status=1
  else
    grep '^== ' "$extra_log" || true
  fi
fi

# The unit tier again under AddressSanitizer + UndefinedBehaviorSanitizer.
if [[ $run_sanitize == 1 ]]; then
  echo "== ctest -L unit under ASan/UBSan (build-fuzz/) [$(date -u +%T), ${SECONDS}s]"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-fuzz --output-on-failure -L unit -LE binary || status=$?
fi
if [[ $run_tsan == 1 ]]; then
  echo "== ctest probes under TSan (build-tsan/) [$(date -u +%T), ${SECONDS}s]"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure -R '^probes$' || status=$?
fi
if [[ $run_fuzz == 1 ]]; then
  echo "== ctest -L fuzz (build-fuzz/) [$(date -u +%T), ${SECONDS}s]"
  ctest --test-dir build-fuzz --output-on-failure -L fuzz || status=$?
fi

# The Debian package: built, linted, installed, exercised and purged (root, a throwaway
# machine: it refuses where redis-warden is installed already). Only when running everything.
# It packages the program build/ holds, just tested (deploy/package.sh --from-build): a full
# package build compiles the program again, about 8 minutes of this run's 30 on 2 cores.
if ((everything)) && [[ ${WARDEN_RUN_PACKAGE:-1} == 1 ]]; then
  echo "== Debian package (build-deb/) [$(date -u +%T), ${SECONDS}s]"
  WARDEN_PACKAGE_FROM_BUILD=build bash tests/package/test_package.sh || status=$?
fi

if ((status != 0)); then
  echo "tests/run.sh: FAILED (exit $status)" >&2
fi
echo "== tests/run.sh took ${SECONDS} s"
exit "$status"
