#!/usr/bin/env bash
# Scale benchmark (figures, no assertions): one agent watching many models that share one baseline
# file, and one very wide model. For each: baseline build time, agent start time (to /readyz), RSS
# (VmRSS, VmHWM from /proc) after start, after one checked window per model and after half a window
# more, ingest rate, check time, /metrics size and the time of 20 curl scrapes with and without gzip.
# Usage: bench/scale/run.sh [BUILD_DIR]   (default: build)
# Environment: MODELS (100), FEATURES (20), ROWS (5000), WINDOW (1000); WIDE_FEATURES (2000),
#              WIDE_ROWS (5000); SCRAPES (20); SCENARIOS ("many wide").
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
BIN=$build/driftwatch
PY=/usr/bin/python3
SCRAPES=${SCRAPES:-20}
tmp=$(mktemp -d /tmp/dw-scale.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now() { date +%s.%N; }

# scenario NAME MODELS FEATURES ROWS WINDOW BATCH
scenario() {
    local name=$1 models=$2 features=$3 rows=$4 window=$5 batch=$6
    local dir=$tmp/$name p t0 t1
    mkdir -p "$dir"
    p=$(port)
    echo "== $name: $models model(s) x $features numeric features, one shared baseline of $rows rows, tumbling windows of $window"
    "$PY" "$src/bench/scale/gen.py" "$dir" "$p" "$models" "$features" "$rows" "$window"
    t0=$(now)
    "$BIN" baseline --data "$dir/train.csv" --out "$dir/baseline.json" 2>/dev/null
    t1=$(now)
    printf '  baseline:                %.2f s to build, %s bytes\n' "$(echo "$t1 - $t0" | bc)" "$(stat -c %s "$dir/baseline.json")"
    t0=$(now)
    "$BIN" run -c "$dir/agent.yaml" 2>"$dir/agent.log" & pid=$!
    for _ in $(seq 6000); do
        curl -fsS -o /dev/null "http://127.0.0.1:$p/readyz" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$dir/agent.log" >&2; exit 1; }
        sleep 0.05
    done
    t1=$(now)
    printf '  start:                   %.2f s to /readyz\n' "$(echo "$t1 - $t0" | bc)"
    "$PY" "$src/bench/scale/drive.py" "$p" "$pid" "$models" "$window" "$dir/window.ndjson" "$SCRAPES" "$batch"
    kill "$pid"; wait "$pid" || true; pid=""
    echo
}

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $(git -C "$src" log -1 --format='%h %s' | cut -c1-80)"
for s in ${SCENARIOS:-many wide}; do
    case $s in
    many) scenario many "${MODELS:-100}" "${FEATURES:-20}" "${ROWS:-5000}" "${WINDOW:-1000}" 1000 ;;
    wide) scenario wide 1 "${WIDE_FEATURES:-2000}" "${WIDE_ROWS:-5000}" "${WINDOW:-1000}" 100 ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
    esac
done
