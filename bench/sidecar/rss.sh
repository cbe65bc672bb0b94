#!/usr/bin/env bash
# Memory of the agent (figures, no assertions): idle RSS, and RSS with one model of 100 numeric
# features holding a full 10k-sample window, before and after a check of it.
# Usage: bench/sidecar/rss.sh [BUILD_DIR]   (default: build)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
BIN=$build/driftwatch
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/dw-rss.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
rss() { awk '/^(VmRSS|VmHWM)/ {printf "%s %.1f MB  ", $1, $2 / 1024}' "/proc/$1/status"; echo; }
wait_up() { for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return; sleep 0.1; done; exit 1; }

echo "binary: $(stat -c %s "$BIN" | awk '{printf "%.0f KB", $1 / 1024}') ($(file -b "$BIN" | cut -d, -f1-2)); plugins: $(du -ck "$build"/plugins/*.so | tail -1 | cut -f1) KB in $(ls "$build"/plugins/*.so | wc -l) files"

P=$(port)
printf 'agent: {listen: 127.0.0.1:%s, state_dir: %s/s0}\nalerts:\n  - {name: logs, plugin: log}\n' "$P" "$tmp" >"$tmp/idle.yaml"
"$BIN" run -c "$tmp/idle.yaml" 2>/dev/null & pid=$!
wait_up "http://127.0.0.1:$P/readyz"; sleep 0.5
printf 'idle agent (one log sink):              '; rss "$pid"
kill "$pid"; wait "$pid" || true; pid=""

"$PY" - "$tmp" <<'PY'
import json, random, sys
tmp = sys.argv[1]
rnd = random.Random(1)
names = [f"f{i:03d}" for i in range(100)]
with open(tmp + "/train.csv", "w") as f:
    f.write(",".join(names) + "\n")
    for _ in range(10000):
        f.write(",".join(f"{rnd.gauss(0, 1):.5f}" for _ in names) + "\n")
with open(tmp + "/window.ndjson", "w") as f:
    for _ in range(10000):
        f.write(json.dumps({n: round(rnd.gauss(0.1, 1), 5) for n in names}) + "\n")
PY
"$BIN" baseline --data "$tmp/train.csv" --out "$tmp/B.json" 2>/dev/null
P=$(port)
cat >"$tmp/m.yaml" <<YAML
agent: {listen: 127.0.0.1:$P, state_dir: $tmp/s1, durability: {interval: 100ms}}
models:
  - name: wide
    baseline: $tmp/B.json
    window: {size: 10001}
    probes: [{plugin: push, model: wide}]
YAML
"$BIN" run -c "$tmp/m.yaml" 2>/dev/null & pid=$!
wait_up "http://127.0.0.1:$P/readyz"; sleep 0.3
printf '100-feature model, empty window:        '; rss "$pid"
split -l 1000 "$tmp/window.ndjson" "$tmp/part."
for part in "$tmp"/part.*; do
    curl -fsS -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @"$part" \
        "http://127.0.0.1:$P/v1/models/wide/samples"
done
printf 'window of 10000 x 100 features:         '; rss "$pid"
start=$(date +%s.%N)
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$P/v1/models/wide/check"
end=$(date +%s.%N)
printf 'after a check of it (%.2f s):           ' "$(echo "$end - $start" | bc)"; rss "$pid"
