# The sidecar path end to end over loopback: push probe -> window -> check -> verdict, metrics and
# alert; in-distribution traffic gives no drift, shifted traffic gives dataset drift; the window
# survives a restart through the journal.
source "$DW_SRC/tests/lib.sh"

DATA="$DW_SRC/examples/data"
PORT=$(free_port)
"$DW_BIN" baseline --data "$DATA/train.csv" --out "$TMP/baseline.json" --prediction prediction 2>/dev/null
# serving_ok.csv as NDJSON samples (the drifted file ships as JSONL already)
"$PYTHON3" - "$DATA/serving_ok.csv" >"$TMP/ok.jsonl" <<'PY'
import csv, json, sys
cat = {"country", "device", "merchant_category"}
for r in csv.DictReader(open(sys.argv[1])):
    f = {k: (None if v == "" else v if k in cat else float(v)) for k, v in r.items() if k != "prediction"}
    print(json.dumps({"features": f, "prediction": float(r["prediction"])}))
PY

cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: fraud
    baseline: $TMP/baseline.json
    window: {size: 1000}
    probes:
      - {plugin: push, model: fraud}
    on_drift: {consecutive: 1, alerts: [logs]}
alerts:
  - {name: logs, plugin: log}
YAML
start_agent() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
}
push() { # push FILE LINES -> prints the HTTP status
    head -n "$2" "$1" | curl -s -o "$TMP/push.out" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/x-ndjson' --data-binary @- "http://127.0.0.1:$PORT/v1/models/fraud/samples"
}
check_now() {
    curl -s -X POST "http://127.0.0.1:$PORT/v1/models/fraud/check" >"$TMP/verdict.json"
}
field() { "$PYTHON3" -c "import json,sys; print(json.load(open(sys.argv[1]))$1)" "$TMP/verdict.json"; }

start_agent
# No check has run yet.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/models/fraud/drift")
[ "$code" = 404 ] || fail "drift before any check: $code"

[ "$(push "$TMP/ok.jsonl" 800)" = 202 ] || fail "push ok: $(cat "$TMP/push.out")"
check_now
[ "$(field '["window"]["rows"]')" = 800 ] || fail "window rows after 800 pushed: $(cat "$TMP/verdict.json")"
[ "$(field '["dataset_drift"]')" = False ] || fail "in-distribution traffic flagged as dataset drift"

# Restart: the 800 samples come back from the journal.
kill -TERM "$AGENT"; wait "$AGENT" || fail "agent exit code on SIGTERM"
start_agent
expect_contains "$TMP/agent.log" "model=fraud recovered 800 sample(s)"
check_now
[ "$(field '["window"]["rows"]')" = 800 ] || fail "window rows after restart"

# 200 more close the tumbling window (size 1000); then shifted traffic drifts.
[ "$(push "$TMP/ok.jsonl" 200)" = 202 ] || fail "push to close the window"
[ "$(push "$DATA/serving_drifted.jsonl" 1000)" = 202 ] || fail "push drifted"
# The closed window is checked on the model's worker thread: wait for its verdict.
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/v1/models/fraud/drift" >"$TMP/verdict.json"
    [ "$(field '["dataset_drift"]')" = True ] && break
    sleep 0.1
done
[ "$(field '["dataset_drift"]')" = True ] || fail "drifted traffic not flagged: $(cat "$TMP/verdict.json")"
[ "$(field '["window"]["rows"]')" = 1000 ] || fail "drifted window rows"
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics.txt"
promtool check metrics <"$TMP/metrics.txt" || fail "promtool rejected the agent's metrics"
expect_contains "$TMP/metrics.txt" 'driftwatch_dataset_drifted{model="fraud"} 1'
expect_contains "$TMP/metrics.txt" 'driftwatch_checks_total{model="fraud",result="ok"}'
expect_contains "$TMP/metrics.txt" 'driftwatch_checks_total{model="fraud",result="dataset_drift"} 1'
expect_contains "$TMP/metrics.txt" 'driftwatch_feature_drifted{model="fraud",feature="amount"} 1'
# Counted once (by the probe), since the restart: 200 + 1000 samples.
expect_contains "$TMP/metrics.txt" 'driftwatch_samples_received_total{model="fraud",probe="push"} 1200'
expect_contains "$TMP/metrics.txt" 'driftwatch_samples_kept_total{model="fraud"} 1200'
expect_contains "$TMP/agent.log" "drift firing model=fraud severity=critical"
curl -fsS "http://127.0.0.1:$PORT/v1/models/fraud/report" >"$TMP/report.html" || fail "no report"
grep -q "<svg" "$TMP/report.html" || fail "report has no plots"

# Unknown model and bad bodies are clear errors.
code=$(curl -s -o "$TMP/e.json" -w '%{http_code}' "http://127.0.0.1:$PORT/v1/models/ghost/drift")
[ "$code" = 404 ] && grep -q "unknown model 'ghost'" "$TMP/e.json" || fail "unknown model: $code $(cat "$TMP/e.json")"
echo "ok"
