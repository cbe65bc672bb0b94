#!/usr/bin/env bash
# Configures and builds driftwatch. Usage: scripts/build.sh BUILD_DIR [extra cmake args...]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
