#!/usr/bin/env bash
# The end-to-end demo on loopback: a tiny model server, driftwatch as a proxy sidecar in front of it
# (baseline from the bundled training data), a real Prometheus scraping driftwatch and a real
# Alertmanager. In-distribution traffic first, then drifted traffic; prints what happened.
# Everything it starts is stopped on exit or Ctrl-C. DEMO_KEEP=1 keeps the work directory.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
if [ "${DEMO_SKIP_SETUP:-0}" != 1 ]; then
    bash scripts/setup-debian.sh
    bash scripts/build.sh build
fi
BIN=${DW_BIN:-$src/build/driftwatch}
PY=/usr/bin/python3

export DEMO_DIR=$(mktemp -d /tmp/driftwatch-demo.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    [ "${DEMO_KEEP:-0}" = 1 ] || rm -rf "$DEMO_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
    for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
    echo "demo: $1 did not come up" >&2
    return 1
}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export DEMO_AGENT_PORT=$(port) DEMO_PROXY_PORT=$(port) DEMO_MODEL_PORT=$(port) DEMO_AM_PORT=$(port)
PROM_PORT=$(port)
AGENT="http://127.0.0.1:$DEMO_AGENT_PORT"

say "baseline from examples/data/train.csv"
"$BIN" baseline --data examples/data/train.csv --out "$DEMO_DIR/baseline.json" --prediction prediction

say "starting the model server, Alertmanager, driftwatch (proxy sidecar) and Prometheus"
"$PY" examples/model_server.py "$DEMO_MODEL_PORT" & pids+=($!)
cat >"$DEMO_DIR/alertmanager.yml" <<YAML
route: {receiver: "null", group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: "null"}]
YAML
prometheus-alertmanager --config.file="$DEMO_DIR/alertmanager.yml" --storage.path="$DEMO_DIR/am" \
    --web.listen-address="127.0.0.1:$DEMO_AM_PORT" --cluster.listen-address= >"$DEMO_DIR/alertmanager.log" 2>&1 &
pids+=($!)
"$BIN" run -c examples/demo/driftwatch.yaml 2>"$DEMO_DIR/driftwatch.log" & pids+=($!)
cat >"$DEMO_DIR/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$src/dashboards/rules/driftwatch-rules.yml"]
scrape_configs:
  - job_name: driftwatch
    static_configs: [{targets: ["127.0.0.1:$DEMO_AGENT_PORT"]}]
YAML
prometheus --config.file="$DEMO_DIR/prometheus.yml" --storage.tsdb.path="$DEMO_DIR/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$DEMO_DIR/prometheus.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$DEMO_MODEL_PORT/health"
wait_http "http://127.0.0.1:$DEMO_AM_PORT/-/ready"
wait_http "$AGENT/readyz"
wait_http "http://127.0.0.1:$PROM_PORT/-/ready"
echo "model server :$DEMO_MODEL_PORT  proxy :$DEMO_PROXY_PORT  driftwatch :$DEMO_AGENT_PORT" \
     " Alertmanager :$DEMO_AM_PORT  Prometheus :$PROM_PORT"

PREDICT="http://127.0.0.1:$DEMO_PROXY_PORT/v1/models/fraud:predict"
show_verdict() {
    curl -fsS "$AGENT/v1/models/fraud/drift" >"$DEMO_DIR/verdict.json" 2>/dev/null || : >"$DEMO_DIR/verdict.json"
    "$PY" examples/demo/summarize.py verdict "$DEMO_DIR/verdict.json"
}
checks() { curl -fsS "$AGENT/metrics" | awk '/^driftwatch_checks_total\{model="fraud"/ {n += $2} END {print n + 0}'; }
wait_checks() { # wait until at least N checks ran
    for _ in $(seq 1 100); do [ "$(checks)" -ge "$1" ] && return 0; sleep 0.1; done
    echo "demo: checks did not run" >&2
    return 1
}

say "in-distribution traffic through the proxy (2000 predictions = 4 windows of 500)"
"$PY" examples/send_traffic.py "$PREDICT" examples/data/serving_ok.csv 20
wait_checks 4
show_verdict

say "drifted traffic (bigger amounts, a new market, more mobile, night hours, missing ages)"
"$PY" examples/send_traffic.py "$PREDICT" examples/data/serving_drifted.csv 20
wait_checks 8
show_verdict

say "Alertmanager"
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$DEMO_AM_PORT/api/v2/alerts" >"$DEMO_DIR/alerts.json" 2>/dev/null && \
        grep -q DriftDetected "$DEMO_DIR/alerts.json" && break
    sleep 0.2
done
"$PY" examples/demo/summarize.py alerts "$DEMO_DIR/alerts.json"

say "retrain trigger (command plugin, dry run)"
grep -E 'retrain (dry-run|triggered)' "$DEMO_DIR/driftwatch.log" | sed 's/^/  /' || echo "  no retrain triggered"

say "Prometheus"
# Prometheus scrapes every second: wait for the scrape that saw the drift.
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode 'query=driftwatch_dataset_drifted' \
        >"$DEMO_DIR/prom.json" 2>/dev/null && grep -q '"value":\[[0-9.]*,"1"\]' "$DEMO_DIR/prom.json" && break
    sleep 0.2
done
"$PY" examples/demo/summarize.py prom "$DEMO_DIR/prom.json"

mkdir -p out/demo
curl -fsS "$AGENT/v1/models/fraud/report" -o out/demo/report.html
cp "$DEMO_DIR/driftwatch.log" out/demo/driftwatch.log
say "summary"
echo "  drift report:       $src/out/demo/report.html (open it in a browser)"
echo "  driftwatch log:     $src/out/demo/driftwatch.log"
echo "  every process the demo started stops when it exits; DEMO_KEEP=1 keeps $DEMO_DIR"
