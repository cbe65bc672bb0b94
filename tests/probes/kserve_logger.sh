# The kserve probe inside the real agent (`driftwatch run`): CloudEvents sent as KServe's payload
# logger sends them (binary mode with its ce-* headers, v1 and v2 bodies, a response before its
# request, one structured-mode event), a missing ce-id refused with 400, a request never answered
# counted as unjoined after join_ttl, and the window holding exactly the joined samples.
source "$DW_SRC/tests/lib.sh"

DATA="$DW_SRC/examples/data"
PORT=$(free_port)
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" --prediction prediction 2>/dev/null

cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state, plugin_dir: $DW_PLUGIN_DIR}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 100000}
    probes:
      - {plugin: kserve, model: fraud, join_ttl: 300ms}
    sampling: {plugin: sampler, policy: all}
YAML
"$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/readyz"

URL="http://127.0.0.1:$PORT/v1/models/fraud/cloudevents"
metric() { # metric 'name{labels}' -> value, or "absent"
    curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt"
    awk -v k="$1" '$1 == k {v = $2} END {print v == "" ? "absent" : v}' "$TMP/metrics.txt"
}
wait_metric() { # wait_metric 'name{labels}' value
    local tries=100
    while [ "$(metric "$1")" != "$2" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "$1 is $(metric "$1"), expected $2"
        sleep 0.05
    done
}
# event TYPE ID BODY EXPECTED_STATUS: one binary-mode event with the headers KServe's logger sets.
event() {
    local code
    code=$(curl -s -o "$TMP/answer.json" -w '%{http_code}' -X POST "$URL" \
        -H 'Content-Type: application/json' -H 'Ce-Specversion: 1.0' \
        -H "Ce-Type: org.kubeflow.serving.inference.$1" -H "Ce-Id: $2" \
        -H 'Ce-Source: http://localhost:9081/' -H 'Ce-Time: 2021-04-10T00:23:26.0789529Z' \
        -H 'Ce-Inferenceservicename: fraud' -H 'Ce-Namespace: default' -H 'Ce-Endpoint;' \
        -H 'Ce-Component: predictor' --data-binary "$3")
    [ "$code" = "$4" ] || fail "event $1 $2: $code $(cat "$TMP/answer.json")"
}

instance='{"amount": 22.5, "age": 41, "country": "US", "device": "mobile", "hour": 9, "merchant_category": "grocery", "account_age_days": 300}'
# v1: request then response, 2 instances.
event request v1-a "{\"instances\": [$instance, $instance]}" 202
expect_contains "$TMP/answer.json" '"status":"pending"'
event response v1-a '{"predictions": [0.1, 0.9]}' 202
expect_contains "$TMP/answer.json" '"status":"joined","id":"v1-a","accepted":2,"rejected":0'

# v2 (one tensor per feature), the response first: 3 rows.
col() { echo "{\"name\": \"$1\", \"shape\": [3], \"datatype\": \"$2\", \"data\": [$3, $3, $3]}"; }
v2req="{\"id\": \"v2-b\", \"inputs\": [$(col amount FP64 10.5), $(col age INT64 30), $(col country BYTES '"FR"'),
  $(col device BYTES '"web"'), $(col hour INT64 14), $(col merchant_category BYTES '"travel"'),
  $(col account_age_days INT64 90)]}"
event response v2-b '{"model_name": "fraud", "id": "v2-b", "outputs": [{"name": "output-0", "shape": [3], "datatype": "FP32", "data": [0.2, 0.3, 0.4]}]}' 202
expect_contains "$TMP/answer.json" '"status":"pending"'
event request v2-b "$v2req" 202
expect_contains "$TMP/answer.json" '"accepted":3'

# Structured mode: one instance.
code=$(curl -s -o "$TMP/answer.json" -w '%{http_code}' -H 'Content-Type: application/cloudevents+json' \
    --data-binary "{\"specversion\": \"1.0\", \"id\": \"s-c\", \"source\": \"http://localhost:9081/\",
      \"type\": \"org.kubeflow.serving.inference.request\", \"data\": {\"instances\": [$instance]}}" "$URL")
[ "$code" = 202 ] || fail "structured request: $code"
code=$(curl -s -o "$TMP/answer.json" -w '%{http_code}' -H 'Content-Type: application/cloudevents+json' \
    --data-binary '{"specversion": "1.0", "id": "s-c", "source": "http://localhost:9081/",
      "type": "org.kubeflow.serving.inference.response", "data": {"predictions": [0.5]}}' "$URL")
[ "$code" = 202 ] || fail "structured response: $code $(cat "$TMP/answer.json")"
expect_contains "$TMP/answer.json" '"accepted":1'

# No ce-id: 400 naming it.
code=$(curl -s -o "$TMP/answer.json" -w '%{http_code}' -H 'Content-Type: application/json' -H 'Ce-Specversion: 1.0' \
    -H 'Ce-Type: org.kubeflow.serving.inference.request' --data-binary "{\"instances\": [$instance]}" "$URL")
[ "$code" = 400 ] || fail "no ce-id: $code"
expect_contains "$TMP/answer.json" 'ce-id missing'
# Another model's route: 404.
code=$(curl -s -o "$TMP/answer.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary '{}' \
    "http://127.0.0.1:$PORT/v1/models/other/cloudevents")
[ "$code" = 404 ] || fail "unknown model: $code"

# A request never answered: counted once join_ttl (300ms) has passed, with no other event to notice.
event request lonely "{\"instances\": [$instance]}" 202
wait_metric 'driftwatch_samples_rejected_total{model="fraud",reason="unjoined"}' 1
wait_metric 'driftwatch_kserve_pending_events{model="fraud"}' 0

# The window holds the 6 joined samples.
wait_metric 'driftwatch_samples_received_total{model="fraud",probe="kserve"}' 6
wait_metric 'driftwatch_window_samples{model="fraud"}' 6
[ "$(metric 'driftwatch_kserve_events_total{model="fraud",type="request"}')" = 4 ] || fail "request events"
[ "$(metric 'driftwatch_kserve_events_total{model="fraud",type="response"}')" = 3 ] || fail "response events"
curl -s -X POST "http://127.0.0.1:$PORT/v1/models/fraud/check" >"$TMP/check.json"
# 6 rows; the earliest is the logger's ce-time (7 fractional digits, as Go's time.RFC3339Nano gives).
"$PYTHON3" - "$TMP/check.json" >"$TMP/window.txt" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))["window"]
print(w["rows"], w["from"])
PY
expect_contains "$TMP/window.txt" '6 2021-04-10T00:23:26'
need_tool promtool prometheus
promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 ||
    { cat "$TMP/promtool.out" >&2; fail "promtool check metrics"; }
echo "ok"
