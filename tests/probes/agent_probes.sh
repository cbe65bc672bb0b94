# All four probes and the sampler inside the real agent (`driftwatch run`), over loopback: push,
# proxy taps in front of a small Python model server, a tailed prediction log and a canary feed one
# model; the counts in /metrics are exact, the exposition passes `promtool check metrics`, and after
# a restart the tail probe takes only the new lines.
source "$DW_SRC/tests/lib.sh"

DATA="$DW_SRC/examples/data"
PORT=$(free_port)
PROXY_PORT=$(free_port)
MODEL_PORT=$(free_port)
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" --prediction prediction 2>/dev/null

# A v1 model server: one prediction per instance, 0.25 each (and X-Model-Version: 7).
start_model "$MODEL_PORT"

instance='{"amount": 22.5, "age": 41, "country": "US", "device": "mobile", "hour": 9, "merchant_category": "grocery", "account_age_days": 300}'
echo "{\"instances\": [$instance]}" >"$TMP/payload.json"
: >"$TMP/predictions.jsonl"

cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 100000}
    probes:
      - {plugin: push, model: fraud}
      - {plugin: proxy, model: fraud, listen: "127.0.0.1:$PROXY_PORT", upstream: "http://127.0.0.1:$MODEL_PORT",
         protocol: v1, tap_interval: 10ms}
      - {plugin: tail, model: fraud, path: $TMP/predictions.jsonl, poll: 20ms}
      - {plugin: canary, model: fraud, url: "http://127.0.0.1:$MODEL_PORT/v1/models/fraud:predict",
         payload: $TMP/payload.json, every: 100ms, expect: predictions}
    sampling: {plugin: sampler, policy: all}
YAML
start_agent() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
}
metric() { # metric 'name{labels}' -> value, or "absent"
    curl -s "http://127.0.0.1:$PORT/metrics" | awk -v k="$1" '$1 == k {v = $2} END {print v == "" ? "absent" : v}'
}
wait_metric() { # wait_metric 'name{labels}' value
    local tries=100
    while [ "$(metric "$1")" != "$2" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "$1 is $(metric "$1"), expected $2"
        sleep 0.05
    done
}

start_agent

# push: 10 samples as NDJSON.
for i in $(seq 10); do echo "{\"features\": $instance, \"prediction\": 0.1}"; done >"$TMP/push.ndjson"
code=$(curl -s -o "$TMP/push.out" -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$TMP/push.ndjson" "http://127.0.0.1:$PORT/v1/models/fraud/samples")
[ "$code" = 202 ] || fail "push: $code $(cat "$TMP/push.out")"
expect_contains "$TMP/push.out" '"accepted":10,"rejected":0'

# proxy: 5 calls of 2 instances; the answer is the model's own.
for i in $(seq 5); do
    curl -s -D "$TMP/proxy.headers" -o "$TMP/proxy.out" -H 'Content-Type: application/json' \
        --data "{\"instances\": [$instance, $instance]}" "http://127.0.0.1:$PROXY_PORT/v1/models/fraud:predict"
    [ "$(cat "$TMP/proxy.out")" = '{"predictions": [0.25, 0.25]}' ] || fail "proxy answer: $(cat "$TMP/proxy.out")"
done
expect_contains "$TMP/proxy.headers" "X-Model-Version: 7"

# tail: 7 samples and one malformed line.
for i in $(seq 7); do echo "{\"features\": $instance, \"prediction\": 0.3}"; done >>"$TMP/predictions.jsonl"
echo "not json" >>"$TMP/predictions.jsonl"

wait_metric 'driftwatch_samples_received_total{model="fraud",probe="push"}' 10
wait_metric 'driftwatch_samples_received_total{model="fraud",probe="proxy"}' 10
wait_metric 'driftwatch_samples_received_total{model="fraud",probe="tail"}' 8
wait_metric 'driftwatch_samples_rejected_total{model="fraud",reason="malformed"}' 1
wait_metric 'driftwatch_samples_kept_total{model="fraud"}' 27
wait_metric 'driftwatch_probe_success{probe="canary"}' 1
expect_contains "$TMP/agent.log" "predictions.jsonl:8: skipped: invalid JSON at column 1"
[ "$(metric 'driftwatch_probe_request_duration_seconds_count{probe="proxy"}')" = 5 ] || fail "proxy durations"
[ "$(metric 'driftwatch_probe_requests_total{probe="canary",result="success"}')" != absent ] || fail "canary count"

curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt"
need_tool promtool prometheus
promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 ||
    { cat "$TMP/promtool.out" >&2; fail "promtool check metrics"; }

# Restart: the tail probe continues after the 8 lines it handed over; only the new ones arrive.
kill -TERM "$AGENT"; wait "$AGENT" || fail "agent exit code on SIGTERM"
for i in $(seq 2); do echo "{\"features\": $instance, \"prediction\": 0.4}"; done >>"$TMP/predictions.jsonl"
start_agent
wait_metric 'driftwatch_samples_received_total{model="fraud",probe="tail"}' 2
sleep 0.3
[ "$(metric 'driftwatch_samples_received_total{model="fraud",probe="tail"}')" = 2 ] || fail "tail re-read lines"
echo "ok"
