#!/usr/bin/env bash
# Builds driftwatch (sources, plugins, tests, benchmarks) with every CMake build type under gcc and
# clang, warnings as errors, as a user trying `cmake -DCMAKE_BUILD_TYPE=...` would. Builds only:
# the test suites run on the RelWithDebInfo, ASan and TSan builds (scripts/test.sh).
# Usage: scripts/build-matrix.sh [WORK_DIR]   (default: build-matrix)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$src/build-matrix}
mkdir -p "$work"
failed=()
for cc in gcc clang; do
    for type in Debug Release RelWithDebInfo MinSizeRel; do
        dir="$work/$cc-$type"
        if CC=$cc cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE="$type" >"$dir.log" 2>&1 &&
            cmake --build "$dir" -j"$(nproc)" >>"$dir.log" 2>&1; then
            echo "build-matrix: $cc $type ok"
        else
            echo "build-matrix: $cc $type FAILED (last lines of $dir.log):"
            grep -E 'error|warning' "$dir.log" | head -20 || tail -20 "$dir.log"
            failed+=("$cc-$type")
        fi
        rm -rf "$dir" # keep only the logs: eight full trees do not fit a small CI disk comfortably
    done
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "build-matrix: ${#failed[@]} of 8 builds failed: ${failed[*]}"
    exit 1
fi
echo "build-matrix: all 8 builds clean (gcc, clang x Debug, Release, RelWithDebInfo, MinSizeRel)"
