#!/usr/bin/env bash
# Data-layer benchmarks; prints figures, asserts nothing.
#  1. baseline building throughput (MB/s) and peak RSS on a generated CSV (default 500 MB, 20 columns)
#  2. `check --methods all` on 100 numeric features, 100k baseline values vs 100k window rows,
#     through the CLI, and the same battery in scipy on the same files in the same run.
# usage: bench/data/run.sh [BUILD_DIR]   (built Release if it has no driftwatch yet)
# env:   BENCH_BYTES (default 500000000), BENCH_DIR (scratch dir, default a temp dir, removed after),
#        DW_BIN / DW_GEN (use these binaries instead of BUILD_DIR's), PYTHON3 (default /usr/bin/python3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
PY=${PYTHON3:-/usr/bin/python3}
if [ -z "${DW_BIN:-}" ] && [ ! -x "$BUILD/driftwatch" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target driftwatch bench_data_gen >/dev/null
fi
DW=${DW_BIN:-$BUILD/driftwatch}
GEN=${DW_GEN:-$BUILD/bench/data/bench_data_gen}
BYTES=${BENCH_BYTES:-500000000}
if [ -n "${BENCH_DIR:-}" ]; then W=$BENCH_DIR; mkdir -p "$W"; else W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; fi

# runs a command, prints "wall user maxrss_kb" of it (GNU time)
measure() { /usr/bin/time -f "%e %U %M" -o "$W/time" "$@" >/dev/null 2>"$W/stderr" || { cat "$W/stderr" >&2; exit 1; }; cat "$W/time"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary:  $DW"

echo
echo "== 1. baseline building"
[ -s "$W/big.csv" ] || "$GEN" --bytes "$BYTES" --numeric 16 --categorical 4 --seed 1 >"$W/big.csv"
SIZE=$(stat -c %s "$W/big.csv")
ROWS=$(($(wc -l <"$W/big.csv") - 1))
cat "$W/big.csv" >/dev/null # page cache: time the parser, not the disk
read -r WALL USER RSS < <(measure "$DW" baseline --data "$W/big.csv" --out "$W/big.json")
awk -v s="$SIZE" -v r="$ROWS" -v w="$WALL" -v u="$USER" -v m="$RSS" 'BEGIN {
    printf "file: %.0f MB, %d rows x 20 columns (16 numeric, 4 categorical), two passes + MD5\n", s/1e6, r
    printf "time: %.2f s wall, %.2f s user -> %.0f MB/s (wall), %.0f MB/s (user CPU)\n", w, u, s/1e6/w, s/1e6/u
    printf "peak RSS: %.1f MB\n", m/1024 }'

echo
echo "== 2. check --methods all: 100 numeric features, 100k baseline vs 100k window"
"$GEN" --rows 100000 --numeric 100 --categorical 0 --seed 11 --missing 0 >"$W/b100.csv"
"$GEN" --rows 100000 --numeric 100 --categorical 0 --seed 12 --shift 0.02 --missing 0 >"$W/c100.csv"
read -r WALL USER RSS < <(measure "$DW" baseline --data "$W/b100.csv" --out "$W/b100.json" --sample-size 100000)
printf "baseline (sample-size 100000): %.2f s, profile %.0f MB, peak RSS %.0f MB\n" "$WALL" \
    "$(echo "$(stat -c %s "$W/b100.json") / 1000000" | bc -l)" "$(echo "$RSS / 1024" | bc -l)"
set +e
/usr/bin/time -f "%e %U %M" -o "$W/time" "$DW" check --baseline "$W/b100.json" --data "$W/c100.csv" \
    --methods all --format json --out "$W/c100.json" 2>"$W/stderr"
RC=$?
set -e
[ "$RC" -le 2 ] || { cat "$W/stderr" >&2; exit 1; }
read -r WALL USER RSS <"$W/time"
printf "driftwatch check: %.2f s wall (%.2f s user), peak RSS %.0f MB, exit %d (load profile + read CSV + 800 tests)\n" \
    "$WALL" "$USER" "$(echo "$RSS / 1024" | bc -l)" "$RC"
"$PY" "$ROOT/bench/data/scipy_battery.py" "$W/b100.csv" "$W/c100.csv" "$W/c100.json"
