#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs missing Debian packages, then builds and runs
# ctest (unit + integration) twice: a plain build and an AddressSanitizer+UBSan build.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
bash scripts/setup-debian.sh

bash scripts/build.sh build
ctest --test-dir build --output-on-failure -j2

bash scripts/build.sh build-asan -DDW_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
DW_KEEP_PLUGINS_LOADED=1 ctest --test-dir build-asan --output-on-failure -j2
echo "test.sh: plain and sanitizer suites passed"
