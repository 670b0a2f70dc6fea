#!/usr/bin/env bash
# Builds subhost and serves the samples (hello at /, Flask at /flask, Django
# at /django) through the embedding sample, which prints each response.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
.ci/install-deps
cmake -S . -B build/python3.11 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/python3.11 -j "$(nproc)" --target subhost_embed >/dev/null
exec build/python3.11/samples/embed/subhost_embed "$root/samples"
