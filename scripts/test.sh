#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs missing Debian packages, then builds and runs
# ctest (unit + integration) three times: a plain build, an AddressSanitizer+UBSan build and a
# ThreadSanitizer build (the agent's HTTP threads, probes, scheduler and check workers).
# With CI=true (or DW_FULL_CHECK=1) it also builds every CMake build type under gcc and clang
# (scripts/build-matrix.sh) and runs the setup + plain suite inside a minimal Debian 12 root
# (scripts/fresh-check.sh plain), so a missing install step or a build type that no longer compiles
# fails the run instead of hiding on a machine that happens to have the package; and it builds the
# .deb and installs it in fresh Debian 12 roots (scripts/package-check.sh).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
bash scripts/setup-debian.sh

bash scripts/build.sh build
ctest --test-dir build --output-on-failure -j2

bash scripts/build.sh build-asan -DDW_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
DW_KEEP_PLUGINS_LOADED=1 ctest --test-dir build-asan --output-on-failure -j2
bash scripts/build.sh build-tsan -DDW_TSAN=ON
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 DW_KEEP_PLUGINS_LOADED=1 \
    ctest --test-dir build-tsan --output-on-failure -j2
echo "test.sh: plain, ASan+UBSan and TSan suites passed"

if [ "${CI:-}" = true ] || [ "${DW_FULL_CHECK:-0}" = 1 ]; then
    bash scripts/build-matrix.sh
    bash scripts/fresh-check.sh plain
    bash scripts/package-check.sh
fi
