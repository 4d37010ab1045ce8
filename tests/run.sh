#!/usr/bin/env bash
# Build redis-warden and run every test (unit, integration on real redis-server, fuzz smoke).
# Works as root on a fresh Debian 12: missing packages are installed with apt-get first.
#   tests/run.sh                 everything
#   tests/run.sh -L unit         ctest arguments pass through (then the fuzz step is skipped
#                                unless WARDEN_RUN_FUZZ=1)
# Env: WARDEN_RUN_FUZZ=0|1 force the fuzz step off/on; WARDEN_RUN_SANITIZE=0 skips the
# ASan/UBSan unit run; WARDEN_RUN_TSAN=0 skips the ThreadSanitizer run of the unit tier's
# test binaries (core, config, probes); WARDEN_RUN_PACKAGE=0 skips building, installing
# and purging the Debian package; BUILD_TYPE (default RelWithDebInfo).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash tests/install-deps.sh

BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
JOBS=$(nproc 2>/dev/null || echo 2)

echo "== configure + build (build/, $BUILD_TYPE) [$(date -u +%T), ${SECONDS}s]"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
cmake --build build --parallel "$JOBS"

echo "== ctest (build/) $* [$(date -u +%T), ${SECONDS}s]"
status=0
ctest --test-dir build --output-on-failure "$@" || status=$?

# The unit tier again under AddressSanitizer + UndefinedBehaviorSanitizer (same flags the
# WARDEN_SANITIZE option gives developers), only when running everything.
if (($# == 0)) && [[ ${WARDEN_RUN_SANITIZE:-1} == 1 ]]; then
  echo "== configure + build unit tests with ASan/UBSan (build-asan/) [$(date -u +%T), ${SECONDS}s]"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWARDEN_SANITIZE=ON
  cmake --build build-asan --parallel "$JOBS" --target test_core test_config test_probes metrics_sample
  echo "== ctest -L unit (build-asan/) [$(date -u +%T), ${SECONDS}s]"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -L unit -LE binary || status=$?
fi

# The unit tier's own binaries under ThreadSanitizer (-DWARDEN_TSAN=ON): the worker pools
# (probes/parallel.hpp) and the fake Redis servers' threads. Only those three targets are
# built, to keep the step short; TSan excludes ASan, hence a build directory of its own.
if (($# == 0)) && [[ ${WARDEN_RUN_TSAN:-1} != 0 ]]; then
  echo "== configure + build unit tests with TSan (build-tsan/) [$(date -u +%T), ${SECONDS}s]"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWARDEN_TSAN=ON
  cmake --build build-tsan --parallel "$JOBS" --target test_core test_config test_probes
  echo "== ctest -L unit -R core|config|probes (build-tsan/) [$(date -u +%T), ${SECONDS}s]"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure -L unit -R '^(core|config|probes)$' || status=$?
fi

run_fuzz=${WARDEN_RUN_FUZZ:-}
if [[ -z $run_fuzz ]]; then
  if (($# == 0)); then run_fuzz=1; else run_fuzz=0; fi
fi
if [[ $run_fuzz == 1 ]]; then
  echo "== configure + build fuzz targets (build-fuzz/, clang, -DWARDEN_FUZZ=ON) [$(date -u +%T), ${SECONDS}s]"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DWARDEN_FUZZ=ON
  # only the fuzz targets (fuzz_*): the rest is already built and tested in build/
  mapfile -t fuzz_targets < <(cmake --build build-fuzz --target help |
                                sed -n 's/^\(fuzz_[A-Za-z0-9_]*\): phony$/\1/p')
  if ((${#fuzz_targets[@]})); then
    cmake --build build-fuzz --parallel "$JOBS" --target "${fuzz_targets[@]}"
  else
    cmake --build build-fuzz --parallel "$JOBS"
  fi
  echo "== ctest -L fuzz (build-fuzz/) [$(date -u +%T), ${SECONDS}s]"
  ctest --test-dir build-fuzz --output-on-failure -L fuzz || status=$?
fi

# The Debian package: built, linted, installed, exercised and purged (root, a throwaway
# machine: it refuses where redis-warden is installed already). Only when running everything.
# It packages the program build/ holds, just tested (deploy/package.sh --from-build): a full
# package build compiles the program again, about 8 minutes of this run's 30 on 2 cores.
if (($# == 0)) && [[ ${WARDEN_RUN_PACKAGE:-1} == 1 ]]; then
  echo "== Debian package (build-deb/) [$(date -u +%T), ${SECONDS}s]"
  WARDEN_PACKAGE_FROM_BUILD=build bash tests/package/test_package.sh || status=$?
fi

if ((status != 0)); then
  echo "tests/run.sh: FAILED (exit $status)" >&2
fi
echo "== tests/run.sh took ${SECONDS} s"
exit "$status"
