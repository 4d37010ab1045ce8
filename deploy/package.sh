#!/usr/bin/env bash
# Builds the Debian package from a clean copy of this tree (Debian 12, debhelper compat 13):
#   deploy/package.sh [OUTDIR]     default OUTDIR: build-deb/ at the top of the tree
#   deploy/package.sh --from-build DIR [OUTDIR]
#                                  package the program an existing build directory holds
#                                  (tests/run.sh: the build it has just tested) instead of
#                                  compiling it again; the same files, but the compiler flags
#                                  are that build's, not dpkg-buildflags' hardening
# and prints the path of OUTDIR/redis-warden_<version>_<arch>.deb (next to it: the dbgsym
# package, .buildinfo and .changes). Install it with
#   apt-get install ./build-deb/redis-warden_<version>_amd64.deb
# The copy holds the files git tracks plus new ones it does not ignore, as they are in the
# working tree (build directories never); outside a git checkout, the whole tree. The
# version is the project's (CMakeLists.txt), which debian/changelog must repeat.
# Env: DEB_BUILD_OPTIONS (default "nocheck parallel=<cores>": the tests run in tests/run.sh,
# not in the package build); WARDEN_GIT_COMMIT (default: git's HEAD, "-dirty" with local
# changes), which `redis-warden version` prints. Build dependencies: tests/install-deps.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prebuilt=""
if [[ ${1:-} == --from-build ]]; then
  prebuilt=$(cd "${2:?--from-build needs a build directory}" && pwd)
  if [[ ! -x $prebuilt/redis-warden || ! -f $prebuilt/CMakeCache.txt ]]; then
    echo "package.sh: $prebuilt holds no built redis-warden (configure and build it first)" >&2
    exit 1
  fi
  shift 2
fi
OUT=$(mkdir -p "${1:-$ROOT/build-deb}" && cd "${1:-$ROOT/build-deb}" && pwd)
cd "$ROOT"

version=$(sed -n 's/^project(redis_warden VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [[ -z $version || $version != "$changelog" ]]; then
  echo "package.sh: the project is version '$version' (CMakeLists.txt) but debian/changelog" \
       "says '$changelog': add a changelog entry (dch -v $version)" >&2
  exit 1
fi

if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
   [[ $(git -C "$ROOT" rev-parse --show-toplevel) == "$ROOT" ]]; then
  in_git=1
  commit=${WARDEN_GIT_COMMIT:-$(git rev-parse --short=12 HEAD)}
  if [[ -z ${WARDEN_GIT_COMMIT:-} && -n $(git status --porcelain --untracked-files=normal) ]]; then
    commit+=-dirty
  fi
else
  in_git=0
  commit=${WARDEN_GIT_COMMIT:-unknown}
fi

source_copy=$OUT/redis-warden-$version
rm -rf "$source_copy"
rm -f "$OUT"/redis-warden{,-dbgsym}_"$version"_*.{deb,buildinfo,changes}
mkdir -p "$source_copy"
echo "== copying the tree to $source_copy (commit $commit)"
if ((in_git)); then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do [[ -e $file ]] && printf '%s\0' "$file"; done |
    tar --null --files-from=- -cf - | tar -xf - -C "$source_copy"
else
  tar --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$source_copy"
fi

echo "== dpkg-buildpackage -b -us -uc${prebuilt:+ (the program from $prebuilt)}"
cd "$source_copy"
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=$(nproc 2>/dev/null || echo 2)}
WARDEN_GIT_COMMIT=$commit WARDEN_PREBUILT=$prebuilt dpkg-buildpackage -b -us -uc
deb=$(ls "$OUT"/redis-warden_"$version"_*.deb)
echo "package.sh: built $deb"
