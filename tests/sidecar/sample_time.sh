# window: {every: 1h, time: sample}: samples are placed in hourly windows by their own timestamp.
# A later sample closes the open window (checked: its rows and from/to are the samples of that
# hour); an earlier one is late (rejected, counted as reason="late"); one without a timestamp joins
# the open window. A restart resumes the open window from the journaled samples' timestamps.
source "$DW_SRC/tests/lib.sh"

"$DW_BIN" baseline --data "$DW_SRC/examples/data/train.csv" --out "$TMP/B.json" --prediction prediction 2>/dev/null
PORT=$(free_port)
cat >"$TMP/dw.yaml" <<YAML
agent: {listen: 127.0.0.1:$PORT, state_dir: $TMP/state}
models:
  - name: m
    baseline: $TMP/B.json
    window: {size: 100000, every: 1h, time: sample}
    probes: [{plugin: push, model: m}]
YAML
start_agent() {
    "$DW_BIN" run -c "$TMP/dw.yaml" 2>>"$TMP/agent.log" &
    AGENT=$!
    PIDS+=("$AGENT")
    wait_http "http://127.0.0.1:$PORT/readyz"
}
push() { # NDJSON body -> HTTP status; the answer in $TMP/push.out
    curl -s -o "$TMP/push.out" -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "$1" \
        "http://127.0.0.1:$PORT/v1/models/m/samples"
}
s() { # timestamp amount -> one sample line ("" timestamp: none)
    if [ -n "$1" ]; then
        printf '{"features": {"amount": %s, "country": "US"}, "prediction": 0.1, "timestamp": "%s"}' "$2" "$1"
    else
        printf '{"features": {"amount": %s, "country": "US"}, "prediction": 0.1}' "$2"
    fi
}
field() { "$PYTHON3" -c "import json,sys; print(json.load(open(sys.argv[1]))$1)" "$TMP/verdict.json"; }

start_agent
body="$(s 2024-05-01T10:20:00Z 10)
$(s 2024-05-01T10:05:00Z 20)
$(s "" 30)
$(s 2024-05-01T12:00:00+02:00 40)"
# the last one is 10:00Z: the same hour
[ "$(push "$body")" = 202 ] || fail "first hour: $(cat "$TMP/push.out")"
expect_contains "$TMP/push.out" '"accepted":4,"rejected":0'

code=$(push "$(s 2024-05-01T09:59:59.999Z 50)")
[ "$code" = 400 ] || fail "a late sample alone should be refused: $code $(cat "$TMP/push.out")"
expect_contains "$TMP/push.out" "late: its timestamp 2024-05-01T09:59:59.999Z is before the open window"
curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics"
expect_contains "$TMP/metrics" 'driftwatch_samples_rejected_total{model="m",reason="late"} 1'

# 11:05 closes the 10:00 window; its check sees the 4 samples of that hour.
[ "$(push "$(s 2024-05-01T11:05:00Z 60)")" = 202 ] || fail "next hour: $(cat "$TMP/push.out")"
for _ in $(seq 100); do
    curl -s "http://127.0.0.1:$PORT/v1/models/m/drift" >"$TMP/verdict.json"
    grep -q '"rows"' "$TMP/verdict.json" && break
    sleep 0.1
done
[ "$(field '["window"]["rows"]')" = 4 ] || fail "closed window rows: $(cat "$TMP/verdict.json")"
[ "$(field '["window"]["from"]')" = 2024-05-01T10:05:00Z ] || fail "closed window from"
[ "$(field '["window"]["to"]')" = 2024-05-01T12:00:00+02:00 ] || fail "closed window to"

# A restart resumes the 11:00 window: 10:30 is late, 11:30 joins it.
kill -TERM "$AGENT"; wait "$AGENT" || fail "agent exit code"
start_agent
expect_contains "$TMP/agent.log" "recovered 1 sample(s)"
body="$(s 2024-05-01T10:30:00Z 70)
$(s 2024-05-01T11:30:00Z 80)"
[ "$(push "$body")" = 202 ] || fail "after restart: $(cat "$TMP/push.out")"
expect_contains "$TMP/push.out" '"accepted":1,"rejected":1'
curl -s -X POST "http://127.0.0.1:$PORT/v1/models/m/check" >"$TMP/verdict.json"
[ "$(field '["window"]["rows"]')" = 2 ] || fail "open window rows after restart: $(cat "$TMP/verdict.json")"
[ "$(field '["window"]["from"]')" = 2024-05-01T11:05:00Z ] || fail "open window from after restart"

# time: sample needs a tumbling window with every
printf 'models:\n  - {name: x, baseline: %s, window: {size: 10, mode: sliding, time: sample}}\n' "$TMP/B.json" \
    >"$TMP/bad.yaml"
rc=0
"$DW_BIN" validate -c "$TMP/bad.yaml" >"$TMP/validate.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "validate accepted time: sample on a sliding window"
expect_contains "$TMP/validate.out" "it needs mode tumbling and an 'every' duration"
