#!/usr/bin/env bash
# Builds subhost and runs every test: against Debian's CPython 3.11, against
# CPython 3.13 (own-GIL sub-interpreters) when one is installed, and under
# AddressSanitizer + UBSan, the server tests under ThreadSanitizer, a Release
# build as a user makes it; then runs the micro-benchmarks once, briefly.
#
#   tests/run_all.sh              (from the repository root or anywhere)
# Environment: SUBHOST_PY313=/path/to/python3.13 (default: pyenv's 3.13.0),
#              SUBHOST_BUILD_ROOT=dir for the build trees (default: ./build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
.ci/install-deps

jobs="$(nproc)"
builds="${SUBHOST_BUILD_ROOT:-$root/build}"
py313="${SUBHOST_PY313:-/root/.pyenv/versions/3.13.0/bin/python3.13}"
status=0

build() {  # name, cmake args...
  local name="$1"; shift
  local dir="$builds/$name"
  echo "=== $name: configure and build" >&2
  cmake -S "$root" -B "$dir" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1 ||
    { tail -n 60 "$dir.build.log"; return 1; }
}

run() {  # name, cmake args...: build, then every test
  local name="$1"
  build "$@" || return 1
  local dir="$builds/$name"
  echo "=== $name: tests" >&2
  (cd "$dir" && ASAN_OPTIONS=detect_leaks=0 ctest -j "$jobs" --output-on-failure \
     --timeout 600)
}

mkdir -p "$builds"
run python3.11 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSUBHOST_WERROR=ON || status=1
if [ -x "$py313" ]; then
  run python3.13 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSUBHOST_WERROR=ON \
    -DPython3_EXECUTABLE="$py313" || status=1
else
  echo "=== python3.13: not found at $py313; own-GIL tests not run" >&2
fi
run asan -DCMAKE_BUILD_TYPE=Debug -DSUBHOST_WERROR=ON -DSUBHOST_SANITIZE=ON ||
  status=1

# ThreadSanitizer over the tests that run the real server with threads:
# request threads, the housekeeper, drain and the stats listeners.
if build tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSUBHOST_WERROR=ON \
     -DSUBHOST_TSAN=ON -DSUBHOST_BUILD_BENCHMARKS=OFF -DSUBHOST_BUILD_SAMPLES=OFF; then
  echo "=== tsan: server tests" >&2
  (cd "$builds/tsan" && ctest -j "$jobs" --output-on-failure --timeout 600 \
     -R 'HttpServer|Command|BehindNginx|OwnGil|Process|Signals|CheckConfig') ||
    status=1
else
  status=1
fi

# What a user gets from `cmake -DCMAKE_BUILD_TYPE=Release`: it must build with
# the optimiser's extra warnings left as warnings.
build release -DCMAKE_BUILD_TYPE=Release -DSUBHOST_BUILD_TESTS=OFF \
  -DSUBHOST_BUILD_BENCHMARKS=OFF || status=1

echo "=== micro-benchmarks: one brief run" >&2
"$builds/python3.11/benchmarks/micro/subhost_micro" --benchmark_min_time=0.01 \
  >/dev/null || status=1

exit "$status"
