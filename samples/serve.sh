#!/usr/bin/env bash
# Builds subhost and serves the samples: hello at /, Flask at /flask, Django
# at /django, over HTTP on 127.0.0.1:8080 and the uwsgi protocol on
# 127.0.0.1:8081 (see samples/subhost.ini and samples/nginx.conf).
# Extra arguments go to subhost, e.g. --threads 8.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
.ci/install-deps
cmake -S . -B build/python3.11 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/python3.11 -j "$(nproc)" --target subhost_cmd >/dev/null
exec build/python3.11/subhost --ini samples/subhost.ini "$@"
