#!/usr/bin/env bash
# Load and soak: `driftwatch run` with a push probe, a tumbling window that closes every few
# seconds (so drift checks run throughout), a journal with durability {interval: 100ms} and a log
# alert sink, driven by bench/soak/soak_client for SECONDS: pushes (NDJSON batches, several
# connections), /metrics scrapes and drift reads at fixed rates, the agent's RSS and fds sampled
# each second. Prints figures; exits non-zero only when the run itself fails, never for speed.
#   bench/soak/run.sh [SECONDS]          default 300
# Environment: SOAK_BUILD (build dir, default build: RelWithDebInfo; built when missing),
#   WARMUP (SECONDS/5), PUSH_CLIENTS (4), PUSH_RATE (100 requests/s in total), BATCH (100 samples),
#   SCRAPE_RATE (10/s), DRIFT_RATE (2/s), WINDOW (50000 samples), SHIFT_EVERY (20 s: traffic
#   alternates between in-distribution and shifted, so alerts fire and resolve),
#   SOAK_DIR (keep config, agent log and per-second series there instead of a removed temp dir).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-300}
BUILD=$(realpath -m "${SOAK_BUILD:-$SRC/build}")
WARMUP=${WARMUP:-$((SECS / 5))}
PUSH_CLIENTS=${PUSH_CLIENTS:-4}
PUSH_RATE=${PUSH_RATE:-100}
BATCH=${BATCH:-100}
SCRAPE_RATE=${SCRAPE_RATE:-10}
DRIFT_RATE=${DRIFT_RATE:-2}
WINDOW=${WINDOW:-50000}
SHIFT_EVERY=${SHIFT_EVERY:-20}
if [ -n "${SOAK_DIR:-}" ]; then
  DIR=$SOAK_DIR
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d /tmp/dw-soak.XXXXXX)
fi
apid=""
cleanup() {
  [ -n "$apid" ] && kill -KILL "$apid" 2>/dev/null || true
  [ -z "${SOAK_DIR:-}" ] && rm -rf "$DIR"
  return 0
}
trap cleanup EXIT

if [ ! -x "$BUILD/driftwatch" ] || [ ! -x "$BUILD/bench/soak/soak_client" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j2 --target driftwatch soak_client dw_plugin_push dw_plugin_log >/dev/null
fi
CLIENT=$BUILD/bench/soak/soak_client
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$CLIENT" --write-train "$DIR/train.csv" --rows 5000
"$BUILD/driftwatch" baseline --data "$DIR/train.csv" --out "$DIR/baseline.json" --prediction prediction 2>/dev/null
cat >"$DIR/agent.yaml" <<YAML
agent:
  listen: 127.0.0.1:$port
  state_dir: $DIR/state
  plugin_dir: $BUILD/plugins
  durability: {interval: 100ms}
  log: {level: info}
models:
  - name: soak
    baseline: $DIR/baseline.json
    window: {size: $WINDOW, every: 1m, mode: tumbling}
    probes:
      - {plugin: push, model: soak, max_batch: $((BATCH + 1))}
    on_drift: {consecutive: 1, alerts: [logs]}
alerts:
  - {name: logs, plugin: log}
YAML

"$BUILD/driftwatch" run -c "$DIR/agent.yaml" 2>"$DIR/agent.log" &
apid=$!
ready=0
for _ in $(seq 600); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then ready=1; break; fi
  kill -0 "$apid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "soak: the agent did not become ready; its log:" >&2
  cat "$DIR/agent.log" >&2
  exit 1
fi

echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); build $BUILD"
echo "== window $WINDOW samples (tumbling, every 1m at the latest), durability {interval: 100ms}, log alert sink"
client_rc=0
"$CLIENT" --url "http://127.0.0.1:$port" --model soak --pid "$apid" --seconds "$SECS" --warmup "$WARMUP" \
  --push-clients "$PUSH_CLIENTS" --push-rate "$PUSH_RATE" --batch "$BATCH" --scrape-rate "$SCRAPE_RATE" \
  --drift-rate "$DRIFT_RATE" --shift-every "$SHIFT_EVERY" --series "$DIR/series.txt" || client_rc=$?

# What the agent did meanwhile, from its own metrics and log.
if curl -fsS -o "$DIR/metrics.txt" "http://127.0.0.1:$port/metrics" 2>/dev/null; then
  awk '/^driftwatch_checks_total/ {split($1, a, "result=\""); sub(/".*/, "", a[2]); r = r " " a[2] "=" $2}
       /^driftwatch_samples_kept_total/ {k = $2}
       END {print "agent: samples kept " k "; checks" r}' "$DIR/metrics.txt"
fi
echo "agent: alerts logged: $(grep -c 'msg="drift firing' "$DIR/agent.log" || true) firing," \
  "$(grep -c 'msg="drift resolved' "$DIR/agent.log" || true) resolved; state dir $(du -sk "$DIR/state" | cut -f1) KB"

# A clean stop: SIGTERM, then the exit status (a sanitizer build reports leaks and errors here).
kill -TERM "$apid"
for _ in $(seq 600); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
agent_rc=0
wait "$apid" || agent_rc=$?
apid=""
echo "agent exit status: $agent_rc"
exit "$client_rc"
