#!/usr/bin/env bash
# Probe benchmarks: push ingest throughput (wrk + Lua against the agent's HTTP server with the push
# probe, server pinned to one CPU) and the proxy's added latency at a fixed request rate.
# Prints figures, asserts nothing.
#   bench/probes/run.sh [BUILD_DIR]     BUILD_DIR defaults to build-probes-bench (RelWithDebInfo)
# Environment: SECONDS_PER_RUN (10), BATCHES ("100 1000"), PROXY_RATE (2000), PROXY_REQUESTS (20000),
#              PERF=0 to skip the profiles.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-probes-bench}
RUN=${SECONDS_PER_RUN:-10}
BATCHES=${BATCHES:-"100 1000"}
PROXY_RATE=${PROXY_RATE:-2000}
PROXY_REQUESTS=${PROXY_REQUESTS:-20000}
PERF=${PERF:-1}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$BUILD/bench/probes/bench_push" ] || [ ! -x "$BUILD/bench/probes/bench_proxy" ] || [ ! -x "$BUILD/driftwatch" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j2 --target bench_push bench_proxy driftwatch >/dev/null
fi
BUILD=$(cd "$BUILD" && pwd) # the agent's config names plugin_dir relative to its own directory
BIN=$BUILD/bench/probes
NCPU=$(nproc)
SERVER_CPU=0
CLIENT_CPU=$(( NCPU > 1 ? 1 : 0 ))
have_perf=0
if [ "$PERF" = 1 ] && command -v perf >/dev/null && perf record -o "$TMP/probe.data" -- true >/dev/null 2>&1; then
  have_perf=1
fi

echo "== machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== push ingest: 20-feature NDJSON over loopback; server pinned to CPU $SERVER_CPU, client on CPU $CLIENT_CPU"
for batch in $BATCHES; do
  if command -v wrk >/dev/null; then
    taskset -c "$SERVER_CPU" "$BIN/bench_push" --serve --batch "$batch" --body-out "$TMP/body.ndjson" \
      >"$TMP/server.out" 2>"$TMP/server.err" &
    pid=$!
    for _ in $(seq 100); do grep -q '^port=' "$TMP/server.out" 2>/dev/null && break; sleep 0.05; done
    port=$(sed -n 's/^port=\([0-9]*\).*/\1/p' "$TMP/server.out")
    if [ "$have_perf" = 1 ] && [ "$batch" = "$(echo $BATCHES | cut -d' ' -f1)" ]; then
      perf record -g -o "$TMP/push.data" -p "$pid" -- sleep "$RUN" >/dev/null 2>&1 &
      perf_pid=$!
    else
      perf_pid=
    fi
    DW_BENCH_BODY="$TMP/body.ndjson" taskset -c "$CLIENT_CPU" wrk -t1 -c4 -d"${RUN}s" -s "$SRC/bench/probes/push.lua" \
      "http://127.0.0.1:$port/v1/models/bench/samples" >"$TMP/wrk.out" 2>&1
    [ -n "$perf_pid" ] && wait "$perf_pid" || true
    kill -TERM "$pid"; wait "$pid" || true
    reqs=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")
    server=$(grep '^server:' "$TMP/server.out" || true)
    echo "batch $batch ($(head -1 "$TMP/server.out" | sed 's/.*body_bytes=//') bytes a request), wrk -t1 -c4 ${RUN}s:"
    echo "  $reqs requests/s -> $(awk -v r="$reqs" -v b="$batch" 'BEGIN {printf "%.0f", r * b}') samples/s; latency $(awk '/Latency/ {print $2}' "$TMP/wrk.out") avg"
    echo "  $server"
  else
    echo "wrk not installed (apt-get install wrk); built-in client only"
  fi
  taskset -c "$SERVER_CPU,$CLIENT_CPU" "$BIN/bench_push" --batch "$batch" --seconds "$RUN" --clients 2 \
    --server-cpu "$SERVER_CPU" --client-cpu "$CLIENT_CPU" 2>/dev/null | sed 's/^/  /'
done
if [ "$have_perf" = 1 ] && [ -f "$TMP/push.data" ]; then
  echo "  where the push server's CPU goes (perf, top symbols, self time):"
  perf report -i "$TMP/push.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -15 | sed 's/^/    /' || true
fi


if command -v wrk >/dev/null; then
  echo
  echo "== push ingest through the whole agent (driftwatch run: push probe, the core's parse, sampler, journal"
  echo "   with durability {interval: 100ms}, a 100k tumbling window and its drift checks); agent pinned to CPU $SERVER_CPU"
  # Training data of the same shape for the baseline, and a batch of 100 to send.
  "$BIN/bench_push" --serve --batch 2000 --body-out "$TMP/train.ndjson" >/dev/null 2>&1 & pid=$!
  sleep 0.3; kill -TERM "$pid"; wait "$pid" || true
  "$BIN/bench_push" --serve --batch 100 --body-out "$TMP/body.ndjson" >/dev/null 2>&1 & pid=$!
  sleep 0.3; kill -TERM "$pid"; wait "$pid" || true
  "$BUILD/driftwatch" baseline --data "$TMP/train.ndjson" --out "$TMP/baseline.json" >/dev/null
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$TMP/agent.yaml" <<YAML
agent:
  listen: 127.0.0.1:$port
  state_dir: $TMP/state
  plugin_dir: $BUILD/plugins
  durability: {interval: 100ms}
  log: {level: warn}
models:
  - name: bench
    baseline: $TMP/baseline.json
    window: {size: 100000, mode: tumbling}
    probes:
      - {plugin: push, model: bench, max_batch: 10000}
YAML
  taskset -c "$SERVER_CPU" "$BUILD/driftwatch" run -c "$TMP/agent.yaml" >"$TMP/agent.log" 2>&1 & apid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  t0=$(awk '{print $14 + $15}' "/proc/$apid/stat")
  if [ "$have_perf" = 1 ]; then
    perf record -g -o "$TMP/agent.data" -p "$apid" -- sleep "$RUN" >/dev/null 2>&1 & perf_pid=$!
  else
    perf_pid=
  fi
  DW_BENCH_BODY="$TMP/body.ndjson" taskset -c "$CLIENT_CPU" wrk -t1 -c4 -d"${RUN}s" -s "$SRC/bench/probes/push.lua" \
    "http://127.0.0.1:$port/v1/models/bench/samples" >"$TMP/wrk.out" 2>&1
  t1=$(awk '{print $14 + $15}' "/proc/$apid/stat")
  [ -n "$perf_pid" ] && wait "$perf_pid" || true
  kept=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^driftwatch_samples_kept_total/ {print $2}')
  checks=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^driftwatch_checks_total/ {n += $2} END {print n + 0}')
  kill -TERM "$apid"; wait "$apid" || true
  reqs=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$TMP/wrk.out")
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (b - a) / hz}')
  echo "batch 100, wrk -t1 -c4 ${RUN}s: $reqs requests/s -> $(awk -v r="$reqs" 'BEGIN {printf "%.0f", r * 100}') samples/s" \
    "(non-2xx: ${non2xx:-0}); agent CPU ${cpu}s in ${RUN}s; kept $kept samples; $checks drift checks"
  if [ "$have_perf" = 1 ] && [ -f "$TMP/agent.data" ]; then
    echo "  where the agent's CPU goes (perf, self time by library, then top symbols):"
    perf report -i "$TMP/agent.data" --stdio --no-children --sort dso -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -6 | sed 's/^/    /' || true
    perf report -i "$TMP/agent.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -12 | sed 's/^/    /' || true
  fi
fi

echo
echo "== proxy added latency: fixed rate, one keep-alive connection, C upstream on loopback"
"$BIN/bench_proxy" --rate "$PROXY_RATE" --requests "$PROXY_REQUESTS" --rounds 2 2>/dev/null
"$BIN/bench_proxy" --rate "$PROXY_RATE" --requests "$PROXY_REQUESTS" --rounds 1 --no-tap 2>/dev/null
"$BIN/bench_proxy" --rate "$PROXY_RATE" --requests "$PROXY_REQUESTS" --rounds 1 --instances 32 2>/dev/null
if [ "$have_perf" = 1 ]; then
  perf record -g -o "$TMP/proxy.data" -- "$BIN/bench_proxy" --rate "$PROXY_RATE" --requests "$PROXY_REQUESTS" \
    --rounds 1 >/dev/null 2>&1
  echo "  where the CPU goes, by thread and library (MHD-connection: the proxy's request thread; dw-proxy-tap:"
  echo "  parsing and handing over taps; bench_proxy: the client and the C upstream):"
  perf report -i "$TMP/proxy.data" --stdio --no-children --sort comm,dso -g none 2>/dev/null |
    grep -v '^#' | grep -v '^$' | head -12 | sed 's/^/    /' || true
fi
