#!/usr/bin/env bash
# Runs bench_drift (C) and scipy_battery.py (scipy 1.10) on the same generated data and prints
# their times side by side. Builds nothing: pass a build directory built with optimisation.
#   bench/drift/run.sh [BUILD_DIR] [FEATURES] [ROWS]     (default: build-stats-rel, 100, 100000)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../.." && pwd)"
build="${1:-$src/build-stats-rel}"
features="${2:-100}"
rows="${3:-100000}"
python="${PYTHON3:-/usr/bin/python3}"

bin="$build/bench/drift/bench_drift"
if [[ ! -x "$bin" ]]; then
    echo "run.sh: $bin not found; build it first, e.g." >&2
    echo "  cmake -S $src -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build --target bench_drift" >&2
    exit 2
fi
btype="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)"
echo "C build: $build (CMAKE_BUILD_TYPE=${btype:-unknown}); $(nproc) cores; $features features x $rows rows"
[[ "$btype" == Debug ]] && echo "warning: a Debug build (-O0) understates the C side" >&2

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin" "$features" "$rows" >"$tmp/c.txt"
"$python" "$here/scipy_battery.py" "$features" "$rows" >"$tmp/py.txt"

awk '
function rel(x, y) { return y == 0 ? (x == 0 ? 0 : 1) : (x > y ? x - y : y - x) / (y < 0 ? -y : y) }
FNR == NR { if ($1 == "time") c[$2 " " $3] = $4; else if ($1 == "check") { cs[$2 " " $3] = $4; cp[$2 " " $3] = $5 }
            else if ($1 == "peak_rss_kb") crss = $2; next }
          { if ($1 == "time") { p[$2 " " $3] = $4; order[++n] = $2 " " $3 }
            else if ($1 == "check") { ps[$2 " " $3] = $4; pp[$2 " " $3] = $5 } else if ($1 == "peak_rss_kb") prss = $2 }
END {
    printf "%-9s %-20s %12s %12s %9s\n", "scenario", "method", "C (s)", "scipy (s)", "speedup"
    for (i = 1; i <= n; i++) {
        k = order[i]; split(k, kk, " ")
        if (kk[2] == "total")
            printf "%-9s %-20s %12.4f %12s %9s\n", kk[1], "sort (C only)", c[kk[1] " sort"], "-", "-"
        if (c[k] > 0) printf "%-9s %-20s %12.4f %12.4f %8.1fx\n", kk[1], kk[2], c[k], p[k], p[k] / c[k]
        else          printf "%-9s %-20s %12.4f %12.4f %9s\n", kk[1], kk[2], c[k], p[k], "-"
    }
    printf "peak RSS: C %.1f MB, scipy %.1f MB\n", crss / 1024, prss / 1024
    # sums over features of each statistic and p-value: 1e-6 relative, p-values only where
    # scipy sums to at least 1e-8 (below that both are 1 - cdf rounding noise)
    bad = 0
    for (k in ps) {
        if (rel(cs[k], ps[k]) > 1e-6 || (pp[k] >= 1e-8 && rel(cp[k], pp[k]) > 1e-6)) {
            printf "results differ: %s C %s %s scipy %s %s\n", k, cs[k], cp[k], ps[k], pp[k]; bad = 1 }
    }
    if (!bad) print "results: C and scipy sums of statistics and p-values agree to 1e-6 relative"
}' "$tmp/c.txt" "$tmp/py.txt"
